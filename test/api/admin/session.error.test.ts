import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newMemberId } from "../../crm/bitrix24/harness.js";
import { backends } from "../../support/db.js";
import { AdminHarness } from "./harness.js";

describe.each(await backends())("admin API: POST /api/session errors (%s)", (backend) => {
  const h = new AdminHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("a body without the frame's fields is missing_parameter naming member_id", async () => {
    const res = await h.call("POST", "/api/session", undefined, { hello: "world" });
    expect(res).toMatchObject({ status: 400, body: { ok: false, error: "missing_parameter", field: "member_id" } });
  });

  it("a frame without AUTH_ID is missing_parameter naming AUTH_ID; a malformed one invalid_parameter", async () => {
    const portal = await h.installed(newMemberId());
    const missing = await h.call("POST", "/api/session", undefined, { DOMAIN: h.fake.host, member_id: portal.memberId });
    expect(missing).toMatchObject({ status: 400, body: { error: "missing_parameter", field: "AUTH_ID" } });
    const bad = await h.call("POST", "/api/session", undefined, { DOMAIN: h.fake.host, member_id: portal.memberId, AUTH_ID: "a b" });
    expect(bad).toMatchObject({ status: 400, body: { error: "invalid_parameter", field: "AUTH_ID" } });
  });

  it("a body that is not JSON is invalid_body", async () => {
    const res = await h.app.request("/api/session", { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ ok: false, error: "invalid_body" });
  });

  it("a portal that cannot answer (5xx) is unavailable, not a refusal", async () => {
    const portal = await h.installed(newMemberId());
    h.fake.answerNext("profile", { status: 503, body: { error: "INTERNAL_SERVER_ERROR", error_description: "down" } });
    const res = await h.openSession(portal);
    expect(res).toMatchObject({ status: 503, body: { error: "unavailable" } });
  });
});
