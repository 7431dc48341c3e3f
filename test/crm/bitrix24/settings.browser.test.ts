import { describe, expect, it } from "vitest";
import { listPortalChannels } from "../../../app/core/admin-channels.js";
import { AdminHarness } from "../../api/admin/harness.js";
import { WAPPI_PROFILE, WAPPI_TOKEN } from "../../providers/wappi/fake.js";
import { browserSuitesRun } from "../../support/chromium.js";
import { decodePng, inkStats } from "../../support/png.js";
import { TITLE, useSettingsBrowser, VIEWPORT } from "./settings-browser.js";

describe.skipIf(!browserSuitesRun())("Bitrix24 settings page in headless Chromium", () => {
  const h = new AdminHarness("pglite");
  const rig = useSettingsBrowser(h);

  it("renders: title, channel list and the add-channel form are painted, with no script, CSP or request errors", async () => {
    const { portal, token } = await h.adminPortal();
    await h.apiChannel(token, "Sales WhatsApp");
    const { page, app, problems } = await rig.open(portal);

    await app.getByRole("heading", { level: 1, name: TITLE }).waitFor();
    expect(await page.frame({ url: /\/b24\/app\?/ })?.title()).toBe(TITLE);
    for (const section of ["Channels", "Add a channel", "Messages", "Dead letters"]) {
      expect(await app.getByRole("heading", { level: 2, name: section }).isVisible()).toBe(true);
    }
    const card = app.locator("article.cb-card", { hasText: "Sales WhatsApp" });
    expect(await card.isVisible()).toBe(true);
    expect(await card.locator("input.cb-url").first().inputValue()).toMatch(/^https:\/\/bridge\.example\/rest\/webhook\/wa\/[A-Za-z0-9_-]+$/);
    expect(await app.getByLabel(/^Provider/).isVisible()).toBe(true);
    expect(await app.getByLabel(/^Channel name/).isVisible()).toBe(true);
    const providers = await app.locator("#cb-provider option").evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(providers).toEqual(expect.arrayContaining(["wappi", "greenapi", "wahelp", "devino", "wamm", "gateway"]));

    // what a blank page measures as, so the thresholds below are known to tell a page from nothing
    const blankPage = await rig.browser.context.newPage();
    const blank = inkStats(decodePng(await blankPage.screenshot()));
    await blankPage.close();
    expect(blank).toEqual({ colours: 1, inked: 0, dark: 0 });

    const shot = await page.screenshot();
    const image = decodePng(shot);
    expect({ width: image.width, height: image.height }).toEqual(VIEWPORT);
    const stats = inkStats(image);
    // antialiased text gives many shades; headings, labels, the card and inputs cover a few per cent
    expect(stats.colours).toBeGreaterThan(50);
    expect(stats.inked).toBeGreaterThan(0.03);
    expect(stats.dark).toBeGreaterThan(0.005);
    // the title is drawn in glyphs, not only laid out: its own box holds dark pixels
    const title = inkStats(decodePng(await app.getByRole("heading", { level: 1 }).screenshot()));
    expect(title.dark).toBeGreaterThan(0.05);

    expect(problems).toEqual([]);
    await page.close();
  });

  it("the add-channel form creates a Wappi channel through the admin API and the page shows its card", async () => {
    const portal = await h.installed();
    const { page, app, problems } = await rig.open(portal);
    expect(await app.locator("#cb-channels .cb-empty").textContent()).toBe("No channels yet: add one below.");

    await app.getByLabel(/^Provider/).selectOption("wappi");
    // the credentials fields come from the provider's JSON Schema once it is picked
    await app.locator("#cb-f-apiToken").waitFor();
    expect(await app.locator("#cb-f-apiToken").getAttribute("type")).toBe("password");
    await app.getByLabel(/^Channel name/).fill("Support WhatsApp");
    await app.locator("#cb-f-apiToken").fill(WAPPI_TOKEN);
    await app.locator("#cb-f-profileId").fill(WAPPI_PROFILE);
    await app.locator("#cb-f-apiUrl").fill(h.wappiServer.url);
    expect(await app.locator("#cb-f-messenger").inputValue()).toBe("whatsapp");
    await app.locator("#cb-add-form").getByRole("button", { name: "Add a channel" }).click();

    const card = app.locator("article.cb-card", { hasText: "Support WhatsApp" });
    await card.waitFor({ state: "visible" });
    expect(await card.getByRole("status").textContent()).toBe("The channel “Support WhatsApp” is added.");
    expect(await card.locator("input.cb-url").first().inputValue()).toMatch(/^https:\/\/bridge\.example\/rest\/webhook\/wa\/[A-Za-z0-9_-]+$/);
    expect(await app.locator("#cb-channels .cb-empty").count()).toBe(0);
    // the form is fresh again for the next channel
    expect(await app.getByLabel(/^Channel name/).inputValue()).toBe("");

    // the admin API, asked with a session of its own, and the database both have it
    const session = await h.openSession(portal);
    const listed = await h.call("GET", "/api/channels", String(session.body.token));
    expect(listed.status).toBe(200);
    const channels = listed.body.channels as Array<{ id: string; name: string; provider: string; messenger: string }>;
    expect(channels).toEqual([expect.objectContaining({ name: "Support WhatsApp", provider: "wappi", messenger: "whatsapp" })]);
    const row = await h.portalRow(portal.memberId);
    const stored = await listPortalChannels(h.deps.db, row!.id);
    expect(stored.map((c) => [c.id, c.name])).toEqual([[channels[0]!.id, "Support WhatsApp"]]);
    // creating it pointed the provider's webhook at us, with the credentials typed into the form
    expect(h.wappi.requests.some((r) => r.path.includes("webhook/url/set"))).toBe(true);
    expect(h.wappi.violations).toEqual([]);

    expect(problems).toEqual([]);
    await page.close();
  });
});
