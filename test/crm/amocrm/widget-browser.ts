import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import type { Page } from "playwright-core";
import { widgetFiles } from "../../../scripts/build-widget.js";
import { WAPPI_PROFILE, WAPPI_TOKEN } from "../../providers/wappi/fake.js";
import { type Chromium, launchChromium } from "../../support/chromium.js";
import { type FakeServer, startFake } from "../../support/fake-server.js";
import type { AmoAutomationHarness, SeededAccount } from "./automation-harness.js";
import { CSP_REPORTER, hostPage } from "./widget-host-page.js";

const JQUERY = readFileSync(fileURLToPath(new URL("../../../node_modules/jquery/dist/jquery.min.js", import.meta.url)));
export type Locale = "en" | "ru";
export const WIDGET_LOCALES: Record<Locale, { panel: Record<string, string> }> = {
  en: JSON.parse(readFileSync(fileURLToPath(new URL("../../../widget/amocrm/i18n/en.json", import.meta.url)), "utf8")),
  ru: JSON.parse(readFileSync(fileURLToPath(new URL("../../../widget/amocrm/i18n/ru.json", import.meta.url)), "utf8")),
};

export interface OpenedWidget {
  page: Page;
  /** console errors, uncaught exceptions, swallowed jQuery.Deferred exceptions, CSP violations, failed or refused requests */
  problems: string[];
}

/**
 * The widget's settings area in headless Chromium: the backend on one origin, an account page
 * of another serving the built widget (exactly what `npm run widget:build` packs) with jQuery
 * and amoCRM's disposable-token endpoint, so every admin API call goes through CORS as on a
 * real account.
 */
export class WidgetSettingsBrowser {
  backend!: FakeServer;
  private accountPage!: FakeServer;
  private browser!: Chromium;

  constructor(private readonly h: AmoAutomationHarness) {}

  async start(): Promise<void> {
    const h = this.h;
    this.backend = await startFake(new Hono().all("*", (c) => h.app.fetch(c.req.raw)));
    const built = widgetFiles({ publicUrl: this.backend.url });
    const file = (name: string) => new TextDecoder().decode(built.get(name));
    const host = new Hono();
    host.get("/vendor/jquery.min.js", (c) => c.body(JQUERY, 200, { "content-type": "text/javascript; charset=utf-8" }));
    host.get("/upl/widget/script.js", (c) => c.body(file("script.js"), 200, { "content-type": "text/javascript; charset=utf-8" }));
    host.get("/upl/widget/i18n/:file", (c) => {
      const name = c.req.param("file");
      return name === "en.json" || name === "ru.json" ? c.body(file(`i18n/${name}`), 200, { "content-type": "application/json" }) : c.notFound();
    });
    host.get("/ajax/widget-token", async (c) => c.json({ token: await h.widgetToken(c.req.query("account")!, 1) }));
    host.get("/page", (c) =>
      c.html(
        hostPage({
          area: "settings",
          accountId: c.req.query("account")!,
          userId: 1,
          subdomain: h.amo.subdomain,
          scriptUrl: "/upl/widget/script.js",
          i18nUrl: `/upl/widget/i18n/${c.req.query("locale")}.json`,
          tokenUrl: `/ajax/widget-token?${new URLSearchParams({ account: c.req.query("account")! })}`,
        }),
      ),
    );
    this.accountPage = await startFake(host);
    this.browser = await launchChromium({ width: 1024, height: 768 });
    await this.browser.context.addInitScript({ content: CSP_REPORTER });
  }

  async close(): Promise<void> {
    await this.browser?.close();
    await this.accountPage?.close();
    await this.backend?.close();
  }

  /** The widget's settings for the account's admin, once its region block (the last thing it loads) shows. */
  async open(account: SeededAccount, locale: Locale): Promise<OpenedWidget> {
    const page = await this.browser.context.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console.error: ${m.text()}`);
      if (m.type() === "warning" && m.text().startsWith("jQuery.Deferred exception")) problems.push(`swallowed: ${m.text()}`);
    });
    page.on("pageerror", (err) => problems.push(`uncaught: ${err.message}`));
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ""}`));
    page.on("response", (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
    });
    await page.goto(`${this.accountPage.url}/page?${new URLSearchParams({ account: account.accountId, locale })}`);
    await page.locator("html[data-widget=ready]").waitFor({ state: "attached" });
    await page.locator(".chatbridge-widget .cb-region-select").waitFor({ state: "visible" });
    return { page, problems };
  }

  /** An admin session of the account, as another tab of the widget would open. */
  async adminToken(account: SeededAccount): Promise<string> {
    const res = await this.h.app.request("/api/session", { method: "POST", headers: { "x-auth-token": await this.h.widgetToken(account.accountId, 1) } });
    return ((await res.json()) as { token: string }).token;
  }

  /** An admin API call with that session; the JSON answer. */
  async call(account: SeededAccount, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = { authorization: `Bearer ${await this.adminToken(account)}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await this.h.app.request(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  /** A Wappi channel made through the admin API; its id. */
  async channel(account: SeededAccount, name: string): Promise<string> {
    const res = await this.call(account, "POST", "/api/channels", { provider: "wappi", name, credentials: { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, apiUrl: this.h.wappiServer.url } });
    if (res.status !== 201) throw new Error(`channel create failed: ${JSON.stringify(res.body)}`);
    return String((res.body.channel as { id: string }).id);
  }
}
