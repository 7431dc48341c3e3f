import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookQuarantine } from "../../../app/db/schema.js";
import type { AppDeps } from "../../../app/deps.js";
import { createApp } from "../../../app/index.js";
import { seedChannel } from "../../support/channels.js";
import { openTestDb, type TestDb } from "../../support/db.js";
import { testDeps } from "../../support/deps.js";

/** Regressions found by test/fuzz/hooks.fuzz.test.ts. */
describe("POST /hooks/<provider>/<secret>: what the fuzzer found", () => {
  let t: TestDb;
  let deps: AppDeps;
  beforeAll(async () => {
    t = await openTestDb("pglite");
    deps = await testDeps(t.db);
  });
  afterAll(() => t?.close());

  const creds = { apiToken: "fuzz-token", profileId: "fuzz-profile", apiUrl: "http://127.0.0.1:9" };

  it("a provider name PostgreSQL cannot hold (%00) is an unknown webhook URL (401), not a 500", async () => {
    const { hookSecret } = await seedChannel(deps, "wappi", creds);
    for (const provider of ["%00", "wappi%00", "no-such-provider"]) {
      const res = await createApp(deps).request(`/hooks/${provider}/${hookSecret}`, { method: "POST", body: "{}" });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ ok: false, error: "unauthorized" });
    }
  });

  it("a phone-gateway channel's token is no webhook URL: POST /hooks/gateway/<token> is 401, not a 500", async () => {
    const { hookSecret } = await seedChannel(deps, "gateway", {});
    for (const method of ["POST", "GET"]) {
      const res = await createApp(deps).request(`/hooks/gateway/${hookSecret}`, { method, ...(method === "POST" ? { body: "{}" } : {}) });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ ok: false, error: "unauthorized" });
    }
  });

  it("an authenticated body with NUL characters is quarantined (NUL kept visible as U+FFFD), not a 500", async () => {
    const { channel, hookSecret } = await seedChannel(deps, "wappi", creds);
    const res = await createApp(deps).request(`/hooks/wappi/${hookSecret}`, { method: "POST", headers: { "content-type": "text/plain" }, body: "bad\u0000body" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, quarantined: true });
    const [row] = await t.db.select().from(webhookQuarantine).where(eq(webhookQuarantine.channelId, channel.id));
    expect(row?.body).toBe("bad\uFFFDbody");
  });
});
