import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { portals } from "../../../app/db/schema.js";
import { newMemberId } from "../../crm/bitrix24/harness.js";
import { backends } from "../../support/db.js";
import { AdminHarness } from "./harness.js";

describe.each(await backends())("admin API: session security (%s)", (backend) => {
  const h = new AdminHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("a user who is not a portal admin gets 403 forbidden and no token", async () => {
    const portal = await h.installed(newMemberId());
    const res = await h.openSession(portal, { admin: false });
    expect(res).toMatchObject({ status: 403, body: { ok: false, error: "forbidden" } });
    expect(res.body.token).toBeUndefined();
  });

  it("a wrong DOMAIN is refused before the portal is asked", async () => {
    const portal = await h.installed(newMemberId());
    const before = h.fake.callsOf("profile").length;
    const res = await h.openSession(portal, { fields: { DOMAIN: "evil.example.com" } });
    expect(res).toMatchObject({ status: 401, body: { error: "unauthorized" } });
    expect(h.fake.callsOf("profile").length).toBe(before);
  });

  it("an unknown member_id is 401", async () => {
    const res = await h.call("POST", "/api/session", undefined, { DOMAIN: h.fake.host, member_id: newMemberId(), AUTH_ID: "ut1xnotatoken" });
    expect(res).toMatchObject({ status: 401, body: { error: "unauthorized" } });
  });

  it("an AUTH_ID the portal does not know is 401", async () => {
    const portal = await h.installed(newMemberId());
    const res = await h.openSession(portal, { fields: { AUTH_ID: "forgedtoken123456" } });
    expect(res).toMatchObject({ status: 401, body: { error: "unauthorized" } });
    expect(h.fake.callsOf("profile").at(-1)!.body.auth).toBe("forgedtoken123456");
  });

  it("a portal whose app was uninstalled gets no session, and its open sessions stop working", async () => {
    const portal = await h.installed(newMemberId());
    const open = await h.openSession(portal);
    await h.t.db.update(portals).set({ status: "uninstalled" }).where(eq(portals.externalId, portal.memberId));
    expect(await h.openSession(portal)).toMatchObject({ status: 401, body: { error: "unauthorized" } });
    expect(await h.call("GET", "/api/channels", String(open.body.token))).toMatchObject({ status: 401, body: { error: "unauthorized" } });
  });

  it("a session expires after an hour: 401 unauthorized", async () => {
    const { token } = await h.adminPortal();
    expect((await h.call("GET", "/api/channels", token)).status).toBe(200);
    h.clock.advance(3600_000);
    expect(await h.call("GET", "/api/channels", token)).toMatchObject({ status: 401, body: { ok: false, error: "unauthorized" } });
  });

  it("no bearer, a malformed header or a made-up token is 401 on every authenticated route", async () => {
    const id = crypto.randomUUID();
    const routes: Array<[string, string]> = [
      ["GET", "/api/channels"],
      ["POST", "/api/channels"],
      ["GET", `/api/channels/${id}`],
      ["PATCH", `/api/channels/${id}`],
      ["DELETE", `/api/channels/${id}`],
      ["GET", `/api/channels/${id}/qr`],
      ["POST", `/api/channels/${id}/bind`],
      ["GET", `/api/channels/${id}/webhook-token`],
      ["POST", `/api/channels/${id}/webhook-token`],
      ["POST", `/api/channels/${id}/test`],
      ["GET", "/api/messages"],
      ["POST", `/api/jobs/${id}/retry`],
    ];
    for (const [method, path] of routes) {
      expect(await h.call(method, path), `${method} ${path} without token`).toMatchObject({ status: 401, body: { error: "unauthorized" } });
      expect(await h.call(method, path, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), `${method} ${path} made-up token`).toMatchObject({ status: 401 });
      const basic = await h.app.request(path, { method, headers: { authorization: "Basic dXNlcjpwYXNz" } });
      expect(basic.status, `${method} ${path} basic auth`).toBe(401);
    }
  });
});
