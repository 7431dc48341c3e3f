import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../../support/db.js";
import { json, WebhookHarness } from "./harness.js";

describe.each(await backends())("webhook API: numbers read in the portal's region (%s)", (backend) => {
  const h = new WebhookHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("sendText on a Belarusian portal reads `8 029 …` as +375", async () => {
    const { base } = await h.channel({ portalSettings: { region: "BY" } });
    const res = await h.get(`${base}/sendText`, { phone_number: "8 029 123-45-67", body: "Заказ готов" });
    expect(res.status).toBe(200);
    const before = h.sends().length;
    await h.runOutbox();
    expect(h.sends().slice(before).map((s) => s.body.recipient)).toEqual(["375291234567"]);
  });

  it("country=GB reads one call's number in the UK, whatever the portal's region", async () => {
    const { base } = await h.channel({ portalSettings: { region: "BY" } });
    const res = await h.postJson(`${base}/sendText`, { phone_number: "020 7946 0958", body: "Hello", country: "gb" });
    expect(res.status).toBe(200);
    const before = h.sends().length;
    await h.runOutbox();
    expect(h.sends().slice(before).map((s) => s.body.recipient)).toEqual(["442079460958"]);
  });

  it("channels without a portal, or portals without a region, read numbers in Russia", async () => {
    for (const opts of [{}, { portalSettings: { plan: "L" } }]) {
      const { base } = await h.channel(opts);
      const res = await h.get(`${base}/sendText`, { phone_number: "8 029 123-45-67", body: "x" });
      expect(res.status).toBe(400);
      expect(await json(res)).toMatchObject({ ok: false, error: "invalid_phone" });
    }
  });

  it("an unknown country is invalid_parameter naming the field, and nothing is queued", async () => {
    const { base } = await h.channel({ portalSettings: { region: "BY" } });
    for (const country of ["XX", "GBR", "1"]) {
      const res = await h.get(`${base}/sendText`, { phone_number: "020 7946 0958", body: "x", country });
      expect(res.status).toBe(400);
      const body = await json(res);
      expect(body).toMatchObject({ ok: false, error: "invalid_parameter" });
      expect(body.message).toMatch(/^country: /);
    }
  });

  it("a UK number refused in the portal's region says why", async () => {
    const { base } = await h.channel({ portalSettings: { region: "BY" } });
    const res = await h.get(`${base}/sendText`, { phone_number: "020 7946 0958", body: "x" });
    expect(res.status).toBe(400);
    expect((await json(res)).message).toMatch(/^phone_number: .*Belarus/);
  });
});
