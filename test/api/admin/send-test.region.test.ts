import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../../support/db.js";
import { LOCAL_NUMBERS } from "../../support/local-numbers.js";
import { AdminHarness } from "./harness.js";

/**
 * The settings page's test send (POST /api/channels/<id>/test) on portals in Belarus,
 * Kazakhstan, Ukraine and the UK: the number typed the local way reaches Wappi as the right
 * international number, counted at the fake.
 */
describe.each(await backends())("admin test send: numbers read in the portal's region (%s)", (backend) => {
  const h = new AdminHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it.each(LOCAL_NUMBERS)("$region: `$typed` is sent to $international", async ({ region, typed, international }) => {
    const { token } = await h.adminPortal();
    expect((await h.call("PATCH", "/api/portal", token, { region })).status).toBe(200);
    const channelId = await h.apiChannel(token);
    const sent = await h.call("POST", `/api/channels/${channelId}/test`, token, { phone: typed, request_id: `region-${region}` });
    expect(sent.status).toBe(201);
    const before = h.wappiSends().length;
    await h.runJobs(2);
    expect(h.wappiSends().slice(before).map((s) => s.recipient)).toEqual([international]);
    expect(h.wappi.violations).toEqual([]);
  });

  it("the same local number on a portal left in RU is refused as invalid_phone naming the field, and nothing reaches Wappi", async () => {
    const { token } = await h.adminPortal();
    const channelId = await h.apiChannel(token);
    const before = h.wappiSends().length;
    const refused = await h.call("POST", `/api/channels/${channelId}/test`, token, { phone: "050 123 4567", request_id: "region-ru" });
    expect(refused).toMatchObject({ status: 400, body: { error: "invalid_phone" } });
    // RU keeps its old rules: a number starting with 0 has no country code there
    expect(String(refused.body.message)).toBe("phone: country code cannot start with 0");
    await h.runJobs(2);
    expect(h.wappiSends().length).toBe(before);
  });
});
