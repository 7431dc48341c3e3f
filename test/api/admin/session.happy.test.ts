import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "../../../app/core/tokens.js";
import { adminSessions } from "../../../app/db/schema.js";
import { newMemberId } from "../../crm/bitrix24/harness.js";
import { backends } from "../../support/db.js";
import { AdminHarness } from "./harness.js";

describe.each(await backends())("admin API: POST /api/session happy (%s)", (backend) => {
  const h = new AdminHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("an admin's frame (JSON) gets a one-hour bearer token, stored only as its hash, checked by profile as that user", async () => {
    const portal = await h.installed(newMemberId());
    const authId = h.fake.issueUserToken({ ID: "7", ADMIN: true });
    const res = await h.call("POST", "/api/session", undefined, { DOMAIN: h.fake.host, member_id: portal.memberId, AUTH_ID: authId });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, token_type: "Bearer", crm: "bitrix24", user_id: "7" });
    expect(res.body.expires_at).toBe(new Date(h.clock.now().getTime() + 3600_000).toISOString());
    const token = String(res.body.token);
    expect(token).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    const profileCall = h.fake.callsOf("profile").at(-1)!;
    expect(profileCall.body.auth).toBe(authId);
    const [row] = await h.t.db.select().from(adminSessions).where(eq(adminSessions.tokenHash, await hashToken(token)));
    expect(row).toMatchObject({ userId: "7" });
    const list = await h.call("GET", "/api/channels", token);
    expect(list).toEqual({ status: 200, body: { ok: true, channels: [] } });
  });

  it("the frame POST forwarded as a form, with DOMAIN in the query as Bitrix24 sends it, works too", async () => {
    const portal = await h.installed(newMemberId());
    const authId = h.fake.issueUserToken({ ID: "9", ADMIN: true });
    const res = await h.app.request(`/api/session?DOMAIN=${encodeURIComponent(h.fake.host)}&PROTOCOL=0`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ AUTH_ID: authId, member_id: portal.memberId, PLACEMENT: "DEFAULT" }).toString(),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, user_id: "9" });
  });
});
