import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../../support/db.js";
import { AdminHarness } from "./harness.js";

describe.each(await backends())("admin API: channels errors (%s)", (backend) => {
  const h = new AdminHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("create: credentials the provider's schema refuses are invalid_parameter naming credentials and the bad field", async () => {
    const { token } = await h.adminPortal();
    const res = await h.call("POST", "/api/channels", token, { provider: "wappi", name: "Sales", credentials: { profileId: "x" } });
    expect(res).toMatchObject({ status: 400, body: { ok: false, error: "invalid_parameter", field: "credentials" } });
    expect(String(res.body.message)).toContain("apiToken");
    expect((await h.call("GET", "/api/channels", token)).body.channels).toEqual([]);
  });

  it("create: unknown provider, unsupported messenger, missing name, non-object credentials each name their field", async () => {
    const { token } = await h.adminPortal();
    const base = { provider: "wappi", name: "Sales", credentials: h.wappiCredentials() };
    expect(await h.call("POST", "/api/channels", token, { ...base, provider: "nope" })).toMatchObject({ status: 400, body: { error: "invalid_parameter", field: "provider" } });
    expect(await h.call("POST", "/api/channels", token, { ...base, messenger: "viber" })).toMatchObject({ status: 400, body: { error: "invalid_parameter", field: "messenger" } });
    expect(await h.call("POST", "/api/channels", token, { provider: "wappi", credentials: base.credentials })).toMatchObject({ status: 400, body: { error: "missing_parameter", field: "name" } });
    expect(await h.call("POST", "/api/channels", token, { ...base, credentials: "token" })).toMatchObject({ status: 400, body: { error: "invalid_parameter", field: "credentials" } });
  });

  it("patch: out-of-bounds pacing, unknown fields, an empty change and bad credentials are refused; nothing changes", async () => {
    const { token } = await h.adminPortal();
    const id = await h.apiChannel(token);
    expect(await h.call("PATCH", `/api/channels/${id}`, token, { paceMinMs: 10 })).toMatchObject({ status: 400, body: { error: "invalid_parameter", field: "paceMinMs" } });
    expect(await h.call("PATCH", `/api/channels/${id}`, token, { paceJitterMs: -1 })).toMatchObject({ status: 400, body: { field: "paceJitterMs" } });
    expect((await h.call("PATCH", `/api/channels/${id}`, token, { provider: "greenapi" })).status).toBe(400);
    expect((await h.call("PATCH", `/api/channels/${id}`, token, {})).status).toBe(400);
    expect(await h.call("PATCH", `/api/channels/${id}`, token, { credentials: { apiToken: "" } })).toMatchObject({ status: 400, body: { error: "invalid_parameter", field: "credentials" } });
    expect((await h.call("GET", `/api/channels/${id}`, token)).body.channel).toMatchObject({ name: "Sales", pace_min_ms: null });
  });

  it("bind: a line that is not an Open Line id is invalid_parameter naming line; the portal refusing is conflict", async () => {
    const { token } = await h.adminPortal();
    const id = await h.apiChannel(token);
    expect(await h.call("POST", `/api/channels/${id}/bind`, token, { line: "abc" })).toMatchObject({ status: 400, body: { error: "invalid_parameter", field: "line" } });
    expect(await h.call("POST", `/api/channels/${id}/bind`, token, {})).toMatchObject({ status: 400, body: { error: "missing_parameter", field: "line" } });
    h.fake.batchFailures.set("imconnector.activate", [{ error: "ACCESS_DENIED", error_description: "no rights" }]);
    expect(await h.call("POST", `/api/channels/${id}/bind`, token, { line: "5" })).toMatchObject({ status: 409, body: { error: "conflict" } });
  });

  it("test send: a bad phone is invalid_phone naming phone; a missing one missing_parameter", async () => {
    const { token } = await h.adminPortal();
    const id = await h.apiChannel(token);
    expect(await h.call("POST", `/api/channels/${id}/test`, token, { phone: "12" })).toMatchObject({ status: 400, body: { error: "invalid_phone", field: "phone" } });
    expect(await h.call("POST", `/api/channels/${id}/test`, token, {})).toMatchObject({ status: 400, body: { error: "missing_parameter", field: "phone" } });
  });

  it("messages: a bad status or limit is invalid_parameter naming it", async () => {
    const { token } = await h.adminPortal();
    expect(await h.call("GET", "/api/messages?status=lost", token)).toMatchObject({ status: 400, body: { error: "invalid_parameter", field: "status" } });
    expect(await h.call("GET", "/api/messages?limit=0", token)).toMatchObject({ status: 400, body: { error: "invalid_parameter", field: "limit" } });
    expect(await h.call("GET", "/api/messages?before=x", token)).toMatchObject({ status: 400, body: { error: "invalid_parameter", field: "before" } });
  });
});
