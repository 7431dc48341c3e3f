import { Hono } from "hono";
import type { FrameLocator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listPortalChannels } from "../../../app/core/admin-channels.js";
import { AdminHarness } from "../../api/admin/harness.js";
import { WAPPI_PROFILE, WAPPI_TOKEN } from "../../providers/wappi/fake.js";
import { browserSuitesRun, type Chromium, launchChromium } from "../../support/chromium.js";
import { type FakeServer, startFake } from "../../support/fake-server.js";
import { decodePng, inkStats } from "../../support/png.js";
import type { InstalledPortal } from "./harness.js";

const VIEWPORT = { width: 1024, height: 768 };
const APP_SID = "9f0d2c6a1e";
const TITLE = "chatbridge: WhatsApp and Telegram channels";

const escapeAttr = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

/**
 * What the portal serves around the app (reference/bitrix24.md 1.2): an iframe named
 * "DOMAIN|PROTOCOL|APP_SID" and a form POSTed into it with the user's AUTH_ID and member_id,
 * DOMAIN and the rest in the query. The page is served at the portal's own origin, so the
 * settings page's `frame-ancestors` is checked by the browser for real.
 */
function portalPage(appUrl: string, domain: string, fields: Record<string, string>): string {
  const query = new URLSearchParams({ DOMAIN: domain, PROTOCOL: "0", LANG: "en", APP_SID });
  const frameName = `${domain}|0|${APP_SID}`;
  const inputs = Object.entries(fields).map(([name, value]) => `<input type="hidden" name="${escapeAttr(name)}" value="${escapeAttr(value)}">`);
  return `<!doctype html>
<html><head><title>Bitrix24</title><style>body{margin:0}iframe{display:block;border:0;width:100%;height:100vh}</style></head>
<body>
<form id="open-app" method="post" target="${escapeAttr(frameName)}" action="${escapeAttr(`${appUrl}/b24/app?${query}`)}">${inputs.join("")}</form>
<iframe name="${escapeAttr(frameName)}" title="chatbridge"></iframe>
<script>document.getElementById("open-app").submit();</script>
</body></html>`;
}

/** Reports CSP violations from every frame as console errors, before any page script runs. */
const CSP_REPORTER = `document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " in " + e.documentURI);
});`;

interface OpenedPage {
  page: Page;
  app: FrameLocator;
  /** console errors, uncaught exceptions, CSP violations and failed or refused requests */
  problems: string[];
}

describe.skipIf(!browserSuitesRun())("Bitrix24 settings page in headless Chromium", () => {
  const h = new AdminHarness("pglite");
  let server: FakeServer;
  let browser: Chromium;

  beforeAll(async () => {
    await h.start();
    // Chromium needs a real listener: the app behind a loopback port, exactly as createApp builds it
    server = await startFake(new Hono().all("*", (c) => h.app.fetch(c.req.raw)));
    browser = await launchChromium(VIEWPORT);
    await browser.context.addInitScript({ content: CSP_REPORTER });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await h.close();
  });

  /** Opens the app as the portal does, for an admin of `portal`, and waits for the page's first paint. */
  async function openSettings(portal: InstalledPortal): Promise<OpenedPage> {
    const portalUrl = `http://${h.fake.host}/marketplace/app/${APP_SID}/`;
    const html = portalPage(server.url, h.fake.host, {
      AUTH_ID: h.fake.issueUserToken({ ID: "7", ADMIN: true }),
      AUTH_EXPIRES: "3600",
      REFRESH_ID: "2lg086mxijlpvwh0h7r4nl19udm4try5",
      SERVER_ENDPOINT: "https://oauth.bitrix.info/rest/",
      member_id: portal.memberId,
      status: "L",
      PLACEMENT: "DEFAULT",
      PLACEMENT_OPTIONS: "{}",
    });
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console.error: ${m.text()}`);
    });
    page.on("pageerror", (err) => problems.push(`uncaught: ${err.message}`));
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ""}`));
    page.on("response", (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
    });
    // the portal page comes from the fake portal's origin; Playwright answers it, the fake need not know
    await page.route(portalUrl, (route) => route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: html }));
    await page.goto(portalUrl);
    const app = page.frameLocator("iframe");
    // the provider select appears once GET /api/providers answered: the page script has run through start()
    await app.locator("#cb-provider").waitFor({ state: "visible" });
    return { page, app, problems };
  }

  it("renders: title, channel list and the add-channel form are painted, with no script, CSP or request errors", async () => {
    const { portal, token } = await h.adminPortal();
    await h.apiChannel(token, "Sales WhatsApp");
    const { page, app, problems } = await openSettings(portal);

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
    const blankPage = await browser.context.newPage();
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
    const { page, app, problems } = await openSettings(portal);
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
