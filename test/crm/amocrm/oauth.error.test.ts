import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../../support/db.js";
import { AmoHarness } from "./harness.js";

describe.each(await backends())("amoCRM OAuth redirect, bad input (%s)", (backend) => {
  const h = new AmoHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("error: error=access_denied (1.3) ends on a page saying access was not granted; nothing is exchanged or stored", async () => {
    const fake = await h.account();
    const state = await h.issuedState();
    const json = await h.redirect({ error: "access_denied", state, referer: fake.host });
    expect(json.status).toBe(403);
    expect(await json.json()).toMatchObject({ ok: false, error: "forbidden", message: expect.stringContaining("refused") });

    const page = await h.redirect({ error: "access_denied", state }, { accept: "text/html", "accept-language": "ru" });
    expect(page.status).toBe(403);
    expect(await page.text()).toContain("Доступ не выдан");
    expect(fake.calls).toHaveLength(0);
    expect(await h.row(fake)).toBeUndefined();
  });

  it("error: a redirect without code or referer is 400 naming the field", async () => {
    const fake = await h.account();
    const noCode = await h.redirect({ referer: fake.host, from_widget: "1" });
    expect(noCode.status).toBe(400);
    expect(await noCode.json()).toMatchObject({ ok: false, error: "missing_parameter", field: "code" });
    const noReferer = await h.redirect({ code: fake.issueCode(), from_widget: "1" });
    expect(noReferer.status).toBe(400);
    expect(await noReferer.json()).toMatchObject({ error: "missing_parameter", field: "referer" });
    expect(fake.calls).toHaveLength(0);
  });

  it("error: a code amoCRM refuses (used once already: single use, 1.1) is 401 and leaves the stored account as it was", async () => {
    const fake = await h.account();
    const code = fake.issueCode();
    expect((await h.redirect({ code, referer: fake.host, from_widget: "1" })).status).toBe(200);
    const before = (await h.row(fake))!;
    const again = await h.redirect({ code, referer: fake.host, from_widget: "1" });
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ ok: false, error: "unauthorized", message: expect.stringContaining("authorization code") });
    const after = (await h.row(fake))!;
    expect(after.accessTokenEnc).toBe(before.accessTokenEnc);
    expect(after.updatedAt.getTime()).toBe(before.updatedAt.getTime());
  });

  it("error: an account that cannot be reached is 503 unavailable, nothing stored", async () => {
    const fake = await h.account();
    const code = fake.issueCode();
    await fake.close();
    const res = await h.redirect({ code, referer: fake.host, from_widget: "1" });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ ok: false, error: "unavailable" });
    expect(await h.row(fake)).toBeUndefined();
    await fake.start();
  });

  it("error: /amocrm/install with an unknown platform is 400; without AMOCRM_CLIENT_ID it is 503", async () => {
    const bad = await h.app.request("/amocrm/install?platform=bitrix");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: "invalid_parameter", field: "platform" });
    const unconfigured = await h.appWith({ AMOCRM_CLIENT_ID: "" });
    const res = await unconfigured.app.request("/amocrm/install");
    expect(res.status).toBe(503);
  });
});
