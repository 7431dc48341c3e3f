import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../../support/db.js";
import { AdminHarness } from "./harness.js";

describe.each(await backends())("admin API: the portal's phone region (%s)", (backend) => {
  const h = new AdminHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("happy: GET shows the region (RU by default), PATCH sets it and the test send reads numbers there", async () => {
    const { token } = await h.adminPortal();
    const before = await h.call("GET", "/api/portal", token);
    expect(before.status).toBe(200);
    expect(before.body.portal).toMatchObject({ crm: "bitrix24", region: "RU", region_is_default: true });

    const patched = await h.call("PATCH", "/api/portal", token, { region: "by" });
    expect(patched.status).toBe(200);
    expect(patched.body.portal).toMatchObject({ region: "BY", region_is_default: false });
    expect((await h.call("GET", "/api/portal", token)).body.portal).toMatchObject({ region: "BY" });

    const channelId = await h.apiChannel(token);
    const sent = await h.call("POST", `/api/channels/${channelId}/test`, token, { phone: "8 029 123-45-67", request_id: "region-1" });
    expect(sent.status).toBe(201);
    const refused = await h.call("POST", `/api/channels/${channelId}/test`, token, { phone: "8 900 123", request_id: "region-2" });
    expect(refused).toMatchObject({ status: 400, body: { error: "invalid_phone" } });
    expect(String(refused.body.message)).toContain("Belarus");
  });

  it("error: a region that is not a country is invalid_parameter naming region; a missing one is missing_parameter", async () => {
    const { token } = await h.adminPortal();
    for (const region of ["XX", "Belarus", "1"]) {
      const res = await h.call("PATCH", "/api/portal", token, { region });
      expect(res).toMatchObject({ status: 400, body: { ok: false, error: "invalid_parameter" } });
      expect(String(res.body.message)).toMatch(/^region: /);
    }
    expect(await h.call("PATCH", "/api/portal", token, {})).toMatchObject({ status: 400, body: { error: "missing_parameter" } });
    expect((await h.call("GET", "/api/portal", token)).body.portal).toMatchObject({ region: "RU", region_is_default: true });
  });

  it("security: without a session nothing is shown or changed", async () => {
    expect((await h.call("GET", "/api/portal")).status).toBe(401);
    expect((await h.call("PATCH", "/api/portal", undefined, { region: "GB" })).status).toBe(401);
    expect((await h.call("PATCH", "/api/portal", "forged-token", { region: "GB" })).status).toBe(401);
  });
});
