import { Hono } from "hono";
import type { FrameLocator, Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import type { AdminHarness } from "../../api/admin/harness.js";
import { type Chromium, launchChromium } from "../../support/chromium.js";
import { type FakeServer, startFake } from "../../support/fake-server.js";
import type { InstalledPortal } from "./harness.js";

export const VIEWPORT = { width: 1024, height: 768 };
const APP_SID = "9f0d2c6a1e";
export const TITLE = "chatbridge: WhatsApp and Telegram channels";

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
export const CSP_REPORTER = `document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " in " + e.documentURI);
});`;

export interface OpenedPage {
  page: Page;
  app: FrameLocator;
  /** console errors, uncaught exceptions, CSP violations and failed or refused requests */
  problems: string[];
}

/** Opens the app as the portal does, for an admin of `portal`, and waits for the page's first paint. */
export async function openSettings(h: AdminHarness, browser: Chromium, appUrl: string, portal: InstalledPortal): Promise<OpenedPage> {
  const portalUrl = `http://${h.fake.host}/marketplace/app/${APP_SID}/`;
  const html = portalPage(appUrl, h.fake.host, {
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

export interface SettingsBrowser {
  /** Chromium, reporting CSP violations into each opened page's problems */
  readonly browser: Chromium;
  /** opens the settings page for an admin of `portal` (openSettings) */
  open(portal: InstalledPortal): Promise<OpenedPage>;
}

/**
 * The browser suites' rig for one describe block: the harness started, its app behind a
 * loopback port (Chromium needs a real listener: the app exactly as createApp builds it), and
 * Chromium with the CSP reporter; all closed after the block. Registers its own hooks.
 */
export function useSettingsBrowser(h: AdminHarness): SettingsBrowser {
  let server: FakeServer | undefined;
  let browser: Chromium | undefined;
  beforeAll(async () => {
    await h.start();
    server = await startFake(new Hono().all("*", (c) => h.app.fetch(c.req.raw)));
    browser = await launchChromium(VIEWPORT);
    await browser.context.addInitScript({ content: CSP_REPORTER });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await h.close();
  });
  return {
    get browser() {
      if (!browser) throw new Error("the settings browser is not started yet");
      return browser;
    },
    open(portal) {
      if (!browser || !server) throw new Error("the settings browser is not started yet");
      return openSettings(h, browser, server.url, portal);
    },
  };
}
