import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hmacSha1Hex } from "../../../app/crm/amocrm/amojo/sign.js";
import { webhookQuarantine } from "../../../app/db/schema.js";
import type { AppDeps } from "../../../app/deps.js";
import { createApp } from "../../../app/index.js";
import { openTestDb, type TestDb } from "../../support/db.js";
import { testConfig, testDeps } from "../../support/deps.js";

const CHANNEL_ID = "c0ffee00-0000-4000-8000-000000000001";
const SECRET = "amojo-channel-secret-for-this-test";

/** Regression found by test/fuzz/amocrm.fuzz.test.ts: a signed hook on a NUL scope id answered 500. */
describe("POST /amocrm/amojo/<scope_id>: quarantine of what PostgreSQL text cannot hold", () => {
  let t: TestDb;
  let deps: AppDeps;
  beforeAll(async () => {
    t = await openTestDb("pglite");
    deps = await testDeps(t.db, { config: testConfig({ AMOCRM_CHAT_CHANNEL_ID: CHANNEL_ID, AMOCRM_CHAT_CHANNEL_SECRET: SECRET }) });
  });
  afterAll(() => t?.close());

  it("a signed hook with NUL in the scope id and in the body is quarantined (200), not a 500", async () => {
    const body = `{"not":"a hook"}\u0000`;
    const signature = await hmacSha1Hex(SECRET, new TextEncoder().encode(body));
    const res = await createApp(deps).request(`/amocrm/amojo/${CHANNEL_ID}_%00`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-signature": signature },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, quarantined: true });
    const rows = await t.db.select().from(webhookQuarantine).where(eq(webhookQuarantine.provider, "amojo"));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.body).toBe(`{"not":"a hook"}\uFFFD`);
    expect(rows[0]!.error).toContain("\uFFFD");
  });
});
