import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { widgetFiles } from "../../../scripts/build-widget.js";
import { WAPPI_PROFILE, WAPPI_TOKEN } from "../../providers/wappi/fake.js";
import { browserSuitesRun, type Chromium, launchChromium } from "../../support/chromium.js";
import { type FakeServer, startFake } from "../../support/fake-server.js";
import { AmoAutomationHarness, type SeededAccount } from "./automation-harness.js";
import { CSP_REPORTER, hostPage, WIDGET_CODE } from "./widget-host-page.js";

const JQUERY = readFileSync(fileURLToPath(new URL("../../../node_modules/jquery/dist/jquery.min.js", import.meta.url)));
type Locale = "en" | "ru";
const LOCALES: Record<Locale, { panel: Record<string, string> }> = {
  en: JSON.parse(readFileSync(fileURLToPath(new URL("../../../widget/amocrm/i18n/en.json", import.meta.url)), "utf8")),
  ru: JSON.parse(readFileSync(fileURLToPath(new URL("../../../widget/amocrm/i18n/ru.json", import.meta.url)), "utf8")),
};
const EN = LOCALES.en.panel;

/**
 * The widget's phone-region block and docs links in headless Chromium, on an account page of
 * another origin than the backend: every GET and PATCH /api/portal goes through the admin
 * API's CORS (a PATCH with JSON is preflighted), as on a real amoCRM account.
 */
describe.skipIf(!browserSuitesRun())("amoCRM widget: the account's phone region and the docs links, in headless Chromium", () => {
  const h = new AmoAutomationHarness("pglite");
  let backend: FakeServer;
  let accountPage: FakeServer;
  let browser: Chromium;
  const files = {} as Record<"script.js" | `i18n/${Locale}.json`, string>;

  beforeAll(async () => {
    await h.start();
    backend = await startFake(new Hono().all("*", (c) => h.app.fetch(c.req.raw)));
    const built = widgetFiles({ publicUrl: backend.url });
    for (const name of ["script.js", "i18n/en.json", "i18n/ru.json"] as const) files[name] = new TextDecoder().decode(built.get(name));
    const host = new Hono();
    host.get("/vendor/jquery.min.js", (c) => c.body(JQUERY, 200, { "content-type": "text/javascript; charset=utf-8" }));
    host.get("/upl/widget/script.js", (c) => c.body(files["script.js"], 200, { "content-type": "text/javascript; charset=utf-8" }));
    host.get("/upl/widget/i18n/en.json", (c) => c.body(files["i18n/en.json"], 200, { "content-type": "application/json" }));
    host.get("/upl/widget/i18n/ru.json", (c) => c.body(files["i18n/ru.json"], 200, { "content-type": "application/json" }));
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
    accountPage = await startFake(host);
    browser = await launchChromium({ width: 1024, height: 768 });
    await browser.context.addInitScript({ content: CSP_REPORTER });
  });

  afterAll(async () => {
    await browser?.close();
    await accountPage?.close();
    await backend?.close();
    await h.close();
  });

  async function openSettings(account: SeededAccount, locale: Locale): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.context.newPage();
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
    await page.goto(`${accountPage.url}/page?${new URLSearchParams({ account: account.accountId, locale })}`);
    await page.locator("html[data-widget=ready]").waitFor({ state: "attached" });
    await page.locator(".chatbridge-widget .cb-region-select").waitFor({ state: "visible" });
    return { page, problems };
  }

  async function adminToken(account: SeededAccount): Promise<string> {
    const res = await h.app.request("/api/session", { method: "POST", headers: { "x-auth-token": await h.widgetToken(account.accountId, 1) } });
    return ((await res.json()) as { token: string }).token;
  }

  async function storedRegion(account: SeededAccount): Promise<unknown> {
    const res = await h.app.request("/api/portal", { headers: { authorization: `Bearer ${await adminToken(account)}` } });
    return ((await res.json()) as { portal: unknown }).portal;
  }

  it("shows the account's region with the explanation; choosing Kazakhstan saves it with PATCH /api/portal across origins", async () => {
    const account = await h.seedAccount();
    const { page, problems } = await openSettings(account, "en");
    const region = page.locator(`#widget_settings__${WIDGET_CODE} .cb-region`);
    const select = region.getByLabel(EN.region!);
    expect(await select.inputValue()).toBe("RU");
    const values = await select.locator("option").evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(values).toEqual(["RU", "BY", "KZ", "UZ", "UA", "GE", "AM", "AZ", "KG", "DE", "GB", "US", "BR", "MX", "AR", "IN", "TR", "other"]);
    expect(await select.locator("option[value=KZ]").textContent()).toBe("Kazakhstan (KZ)");
    expect(await region.locator(".cb-hint").first().textContent()).toBe(EN.regionHint);
    expect(await region.locator(".cb-region-default").isVisible()).toBe(true);
    expect(await region.locator(".cb-region-other").isVisible()).toBe(false);

    await select.selectOption("KZ");
    await region.getByRole("button", { name: EN.saveRegion! }).click();
    await expect.poll(() => region.getByRole("status").textContent()).toBe(EN.regionSaved!.replace("{country}", "Kazakhstan (KZ)"));
    expect(await region.getByLabel(EN.region!).inputValue()).toBe("KZ");
    expect(await region.locator(".cb-region-default").count()).toBe(0);
    expect(await storedRegion(account)).toMatchObject({ region: "KZ", region_is_default: false });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("other: a country outside the list by its ISO code; a code that is no country gets the API's reason and changes nothing", async () => {
    const account = await h.seedAccount();
    const { page, problems } = await openSettings(account, "en");
    const region = page.locator(`#widget_settings__${WIDGET_CODE} .cb-region`);
    await region.getByLabel(EN.region!).selectOption("other");
    const code = region.getByLabel(EN.regionOtherLabel!);
    expect(await code.isVisible()).toBe(true);

    await code.fill("zz");
    await region.getByRole("button", { name: EN.saveRegion! }).click();
    await expect.poll(() => region.getByRole("status").getAttribute("data-kind")).toBe("error");
    expect(await region.getByRole("status").textContent()).toMatch(/^region: /);
    expect(await storedRegion(account)).toMatchObject({ region: "RU", region_is_default: true });

    await code.fill("pl");
    await region.getByRole("button", { name: EN.saveRegion! }).click();
    await expect.poll(() => region.getByRole("status").getAttribute("data-kind")).toBe("ok");
    expect(await region.getByLabel(EN.region!).inputValue()).toBe("other");
    expect(await region.getByLabel(EN.regionOtherLabel!).inputValue()).toBe("PL");
    expect(await storedRegion(account)).toMatchObject({ region: "PL" });
    // the API's 400 is the only request error, as the browser reports it
    expect(problems.filter((p) => !p.includes("400"))).toEqual([]);
    await page.close();
  });

  it.each(["en", "ru"] as const)("%s: each channel's webhook URL has a docs link to <PUBLIC_URL>/docs?lang=..#url=<the URL, encoded>", async (locale) => {
    const account = await h.seedAccount();
    const created = await h.app.request("/api/channels", {
      method: "POST",
      headers: { authorization: `Bearer ${await adminToken(account)}`, "content-type": "application/json" },
      body: JSON.stringify({ provider: "wappi", name: "Sales WhatsApp", credentials: { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, apiUrl: h.wappiServer.url } }),
    });
    const webhookUrl = ((await created.json()) as { channel: { webhook_url: string } }).channel.webhook_url;
    const { page, problems } = await openSettings(account, locale);
    const texts = LOCALES[locale].panel;
    const link = page.locator(".cb-card", { hasText: "Sales WhatsApp" }).getByRole("link", { name: texts.docs! });
    await link.waitFor();
    expect(await link.getAttribute("href")).toBe(`${backend.url}/docs?lang=${locale}#url=${encodeURIComponent(webhookUrl)}`);
    expect(await link.getAttribute("target")).toBe("_blank");
    expect(await link.getAttribute("rel")).toBe("noopener noreferrer");
    // the region block speaks the same language
    expect(await page.locator(".cb-region .cb-hint").first().textContent()).toBe(texts.regionHint);
    expect(problems).toEqual([]);
    await page.close();
  });
});
