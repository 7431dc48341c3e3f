import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { and, eq } from "drizzle-orm";
import { Hono } from "hono";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChannelView, listPortalChannels } from "../../../app/core/admin-channels.js";
import { lineBindings, portals } from "../../../app/db/schema.js";
import type { AppEnv } from "../../../app/deps.js";
import { widgetFiles } from "../../../scripts/build-widget.js";
import { SelfHostedFakes } from "../../api/admin/self-hosted-fakes.js";
import { WAPPI_PROFILE, WAPPI_TOKEN } from "../../providers/wappi/fake.js";
import { browserSuitesRun, type Chromium, launchChromium } from "../../support/chromium.js";
import { type FakeServer, startFake } from "../../support/fake-server.js";
import { decodePng, inkStats } from "../../support/png.js";
import { AmoAutomationHarness, PUBLIC_URL, type SeededAccount } from "./automation-harness.js";
import { FAKE_BOT_ID, FAKE_CHANNEL_ID, FAKE_CHANNEL_SECRET, FakeAmojo } from "./fake-amojo.js";
import { CSP_REPORTER, hostPage, WIDGET_CODE } from "./widget-host-page.js";

const VIEWPORT = { width: 1024, height: 768 };
const JQUERY = readFileSync(fileURLToPath(new URL("../../../node_modules/jquery/dist/jquery.min.js", import.meta.url)));
const EN = JSON.parse(readFileSync(fileURLToPath(new URL("../../../widget/amocrm/i18n/en.json", import.meta.url)), "utf8")) as {
  panel: Record<string, string>;
};

/** Two deployments of the backend on one database: one with the amojo chat channel registered (2.2), one without. */
type Backend = "chats" | "no-chats";

interface OpenedWidget {
  page: Page;
  /** console errors, uncaught exceptions, swallowed jQuery.Deferred exceptions, CSP violations, failed or refused requests */
  problems: string[];
}

describe.skipIf(!browserSuitesRun())("amoCRM widget (script.js) in headless Chromium on an account page", () => {
  const h = new AmoAutomationHarness("pglite");
  const amojo = new FakeAmojo(() => h.clock.now());
  const selfHosted = new SelfHostedFakes();
  const backends = {} as Record<Backend, FakeServer>;
  const scripts = {} as Record<Backend, { script: string; en: string }>;
  let accountPage: FakeServer;
  let browser: Chromium;

  const serveApp = (app: Hono<AppEnv>) => startFake(new Hono().all("*", (c) => app.fetch(c.req.raw)));

  beforeAll(async () => {
    await h.start();
    await amojo.start();
    await selfHosted.start();
    const withChats = await h.appWith({
      PUBLIC_URL,
      AMOCRM_AMOJO_URL: amojo.url,
      KOMMO_AMOJO_URL: amojo.url,
      AMOCRM_CHAT_CHANNEL_ID: FAKE_CHANNEL_ID,
      AMOCRM_CHAT_CHANNEL_SECRET: FAKE_CHANNEL_SECRET,
      AMOCRM_CHAT_BOT_ID: FAKE_BOT_ID,
    });
    backends.chats = await serveApp(withChats.app);
    backends["no-chats"] = await serveApp(h.app);
    for (const name of ["chats", "no-chats"] as const) {
      // exactly what `npm run widget:build -- --url <backend>` packs into the zip
      const files = widgetFiles({ publicUrl: backends[name].url });
      scripts[name] = { script: new TextDecoder().decode(files.get("script.js")), en: new TextDecoder().decode(files.get("i18n/en.json")) };
    }
    const host = new Hono();
    host.get("/vendor/jquery.min.js", (c) => c.body(JQUERY, 200, { "content-type": "text/javascript; charset=utf-8" }));
    host.get("/upl/:backend/widget/script.js", (c) => c.body(scripts[c.req.param("backend") as Backend].script, 200, { "content-type": "text/javascript; charset=utf-8" }));
    host.get("/upl/:backend/widget/i18n/en.json", (c) => c.body(scripts[c.req.param("backend") as Backend].en, 200, { "content-type": "application/json" }));
    // amoCRM hands $authorizedAjax a new disposable token for the logged-in user on every call
    host.get("/ajax/widget-token", async (c) => c.json({ token: await h.widgetToken(c.req.query("account")!, Number(c.req.query("user"))) }));
    host.get("/page", (c) => {
      const q = (k: string) => c.req.query(k)!;
      const backend = q("backend");
      return c.html(
        hostPage({
          area: q("area"),
          accountId: q("account"),
          userId: Number(q("user")),
          subdomain: h.amo.subdomain,
          scriptUrl: `/upl/${backend}/widget/script.js`,
          i18nUrl: `/upl/${backend}/widget/i18n/en.json`,
          tokenUrl: `/ajax/widget-token?${new URLSearchParams({ account: q("account"), user: q("user") })}`,
        }),
      );
    });
    accountPage = await startFake(host);
    browser = await launchChromium(VIEWPORT);
    await browser.context.addInitScript({ content: CSP_REPORTER });
  });

  afterAll(async () => {
    await browser?.close();
    await accountPage?.close();
    await Promise.all(Object.values(backends).map((b) => b.close()));
    await amojo.close();
    await selfHosted.close();
    await h.close();
  });

  /** An installed account as the OAuth install leaves it, with the amojo id it stores from GET /api/v4/account?with=amojo_id (5.1). */
  async function installedAccount(): Promise<SeededAccount> {
    const account = await h.seedAccount();
    await h.t.db
      .update(portals)
      .set({ settings: { ...account.portal.settings, amojoId: h.amo.amojoId } })
      .where(eq(portals.id, account.portal.id));
    return account;
  }

  /** A channel made through the admin API with a session of the account's admin, as another tab of the widget would. */
  async function seedChannel(
    account: SeededAccount,
    name: string,
    provider = "wappi",
    credentials: Record<string, string> = { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, apiUrl: h.wappiServer.url },
  ): Promise<ChannelView> {
    const session = await h.app.request("/api/session", { method: "POST", headers: { "x-auth-token": await h.widgetToken(account.accountId, 1) } });
    const { token } = (await session.json()) as { token: string };
    const res = await h.app.request("/api/channels", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ provider, name, credentials }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { channel: ChannelView }).channel;
  }

  /** The account page with the widget loaded for `area`, once the widget's first requests have answered. */
  async function openWidget(account: SeededAccount, backend: Backend, area = "settings"): Promise<OpenedWidget> {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console.error: ${m.text()}`);
      // jQuery 3 turns an exception inside a .then() callback into a rejection and only warns
      if (m.type() === "warning" && m.text().startsWith("jQuery.Deferred exception")) problems.push(`swallowed: ${m.text()}`);
    });
    page.on("pageerror", (err) => problems.push(`uncaught: ${err.message}`));
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ""}`));
    page.on("response", (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
    });
    await page.goto(`${accountPage.url}/page?${new URLSearchParams({ backend, area, account: account.accountId, user: "1" })}`);
    await page.locator("html[data-widget=ready]").waitFor({ state: "attached" });
    if (area === "settings") {
      // the provider select is drawn once GET /api/providers answered, the page status hides once the channels did
      await page.locator(".chatbridge-widget .cb-provider").waitFor({ state: "visible" });
      await page.locator(".cb-page-status").waitFor({ state: "hidden" });
    }
    return { page, problems };
  }

  it("settings modal: the account's channel with its state and webhook URL, the add form from /api/providers, painted, no errors", async () => {
    const account = await installedAccount();
    const seeded = await seedChannel(account, "Sales WhatsApp");
    const { page, problems } = await openWidget(account, "chats");

    const modal = page.locator(`#widget_settings__${WIDGET_CODE}`);
    expect(await modal.getByRole("heading", { level: 2, name: EN.panel.title! }).isVisible()).toBe(true);
    const card = modal.locator(".cb-card", { hasText: "Sales WhatsApp" });
    expect(await card.isVisible()).toBe(true);
    expect(await card.locator(".cb-state").textContent()).toBe(`${EN.panel.state}: ${EN.panel[`state_${seeded.state}`]}`);
    expect(seeded.webhook_url).toMatch(/^https:\/\/bridge\.example\/rest\/webhook\/wa\/[A-Za-z0-9_-]+$/);
    expect(await card.getByLabel(EN.panel.webhookUrl!).inputValue()).toBe(seeded.webhook_url);
    for (const label of [EN.panel.bind!, EN.panel.sendTest!, EN.panel.copy!, EN.panel.regenerate!, EN.panel.showQr!]) {
      expect(await card.getByRole("button", { name: label }).isVisible()).toBe(true);
    }
    const providers = await modal.getByLabel(EN.panel.provider!).locator("option").evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(providers).toEqual(expect.arrayContaining(["", "wappi", "greenapi", "wahelp", "devino", "wamm", "gateway"]));

    // a blank page measures as one colour and no ink, so the thresholds below tell a page from nothing
    const blankPage = await browser.context.newPage();
    expect(inkStats(decodePng(await blankPage.screenshot()))).toEqual({ colours: 1, inked: 0, dark: 0 });
    await blankPage.close();
    const image = decodePng(await page.screenshot());
    expect({ width: image.width, height: image.height }).toEqual(VIEWPORT);
    const stats = inkStats(image);
    expect(stats.colours).toBeGreaterThan(50);
    expect(stats.inked).toBeGreaterThan(0.05);
    expect(stats.dark).toBeGreaterThan(0.003);
    // the widget's own heading is drawn in glyphs, not only laid out
    expect(inkStats(decodePng(await modal.getByRole("heading", { level: 2 }).screenshot())).dark).toBeGreaterThan(0.05);

    // the Salesbot designer's save in this browser (4.2; its shape is unit-tested in widget.manifest.test.ts)
    const saved = await page.evaluate(() => {
      const w = (window as unknown as { amoWidget: { callbacks: Record<string, (...a: unknown[]) => unknown> } }).amoWidget;
      return String(w.callbacks.onSalesbotDesignerSave!("send_message", { channel: "Sales WhatsApp", text: "Hello" }));
    });
    expect(JSON.parse(saved)[0].question[0]).toEqual({
      handler: "widget_request",
      params: { url: `${backends.chats.url}/amocrm/salesbot`, data: { channel: "Sales WhatsApp", text: "Hello", file_url: "", template: "", params: "", header_url: "", lead: "{{lead.id}}" } },
    });

    expect(problems).toEqual([]);
    await page.close();
  });

  it("add a Wappi channel in the form: it is listed and stored; 'Connect to amoCRM chats' binds it to the account's amojo scope", async () => {
    const account = await installedAccount();
    const usersAsked = () => h.amo.restCalls().filter((c) => c.path === "/api/v4/users/1").length;
    const usersBefore = usersAsked();
    const { page, problems } = await openWidget(account, "chats");
    const modal = page.locator(`#widget_settings__${WIDGET_CODE}`);
    expect(await modal.locator(".cb-channels .cb-empty").textContent()).toBe(EN.panel.noChannels);

    await modal.getByLabel(EN.panel.provider!).selectOption("wappi");
    // the credentials fields come from Wappi's JSON Schema once it is picked
    const field = (name: string) => modal.locator(`.cb-fields [data-field="${name}"]`);
    await field("apiToken").waitFor();
    expect(await field("apiToken").getAttribute("type")).toBe("password");
    expect(await field("messenger").inputValue()).toBe("whatsapp");
    await modal.getByLabel(EN.panel.channelName!).fill("Support WhatsApp");
    await field("apiToken").fill(WAPPI_TOKEN);
    await field("profileId").fill(WAPPI_PROFILE);
    await field("apiUrl").fill(h.wappiServer.url);
    await modal.getByRole("button", { name: EN.panel.addChannel! }).click();

    const card = modal.locator(".cb-card", { hasText: "Support WhatsApp" });
    await card.waitFor({ state: "visible" });
    expect(await card.getByRole("status").textContent()).toBe(EN.panel.created!.replace("{name}", "Support WhatsApp"));
    expect(await card.getByLabel(EN.panel.webhookUrl!).inputValue()).toMatch(/^https:\/\/bridge\.example\/rest\/webhook\/wa\/[A-Za-z0-9_-]+$/);
    expect(await modal.locator(".cb-channels .cb-empty").count()).toBe(0);
    // the form is fresh again for the next channel
    expect(await modal.getByLabel(EN.panel.channelName!).inputValue()).toBe("");

    const stored = await listPortalChannels(h.deps.db, account.portal.id);
    expect(stored.map((c) => [c.name, c.provider, c.messenger])).toEqual([["Support WhatsApp", "wappi", "whatsapp"]]);
    // creating it pointed Wappi's webhook at us with the credentials typed into the form
    expect(h.wappi.requests.some((r) => r.path.includes("webhook/url/set"))).toBe(true);
    expect(h.wappi.violations).toEqual([]);

    await card.getByRole("button", { name: EN.panel.bind! }).click();
    await expect.poll(() => card.getByRole("status").textContent()).toBe(EN.panel.bound);
    const scopeId = `${FAKE_CHANNEL_ID}_${h.amo.amojoId}`;
    expect(amojo.connected.get(h.amo.amojoId)).toBe(scopeId);
    expect(amojo.violations).toEqual([]);
    const bindings = await h.t.db.select().from(lineBindings).where(and(eq(lineBindings.channelId, stored[0]!.id), eq(lineBindings.crm, "amocrm")));
    expect(bindings).toEqual([expect.objectContaining({ lineId: scopeId, active: true })]);
    // one session served every call of the page (providers, list, create, list, bind): amoCRM was asked about the user once
    expect(usersAsked() - usersBefore).toBe(1);

    expect(problems).toEqual([]);
    await page.close();
  });

  it("a server without the amojo chat channel: 'Connect to amoCRM chats' shows the server's explanation, the page keeps working", async () => {
    const account = await installedAccount();
    const seeded = await seedChannel(account, "Sales WhatsApp");
    const { page, problems } = await openWidget(account, "no-chats");
    const card = page.locator(".cb-card", { hasText: "Sales WhatsApp" });

    const bind = card.getByRole("button", { name: EN.panel.bind! });
    await bind.click();
    await expect.poll(() => card.getByRole("status").textContent()).toContain("AMOCRM_CHAT_CHANNEL_ID");
    expect(await card.getByRole("status").textContent()).toBe(
      "The amoCRM chat channel is not configured on this server: ask its operator to set AMOCRM_CHAT_CHANNEL_ID and AMOCRM_CHAT_CHANNEL_SECRET",
    );
    expect(await card.getByRole("status").getAttribute("data-kind")).toBe("error");
    expect(await bind.isEnabled()).toBe(true);
    expect(await h.t.db.select().from(lineBindings).where(eq(lineBindings.channelId, seeded.id))).toEqual([]);

    // the 503 itself, as the browser reports any error status; nothing else went wrong
    const bindUrl = `${backends["no-chats"].url}/api/channels/${seeded.id}/bind`;
    expect(problems).toHaveLength(2);
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^console\.error: Failed to load resource: the server responded with a status of 503/), `HTTP 503: POST ${bindUrl}`]),
    );
    await page.close();
  });

  it("a logged-out WAHA channel: 'Log in with phone number' shows a refused number's error, then the code, large, with where to type it", async () => {
    const account = await installedAccount();
    selfHosted.reset();
    selfHosted.waitForLogin("waha");
    await seedChannel(account, "WAHA line", "waha", selfHosted.credentials("waha"));
    const { page, problems } = await openWidget(account, "chats");
    const card = page.locator(".cb-card", { hasText: "WAHA line" });
    const form = card.locator(".cb-pairing");
    expect(await form.getByText(EN.panel.pairingTitle!).isVisible()).toBe(true);
    const phone = form.getByLabel(EN.panel.pairingPhone!);

    await phone.fill("+7 900");
    await form.getByRole("button", { name: EN.panel.pairingGet! }).click();
    await expect.poll(() => card.getByRole("status").getAttribute("data-kind")).toBe("error");
    expect(await card.getByRole("status").textContent()).toMatch(/^phone: /);
    expect(await card.locator(".cb-pairing-code").count()).toBe(0);

    await phone.fill("+7 900 123-45-67");
    await form.getByRole("button", { name: EN.panel.pairingGet! }).click();
    const code = card.locator(".cb-pairing-code");
    await code.waitFor();
    expect(await code.textContent()).toBe("ABCD-ABCD");
    expect(await code.evaluate((n) => getComputedStyle(n).fontSize)).toBe("28px");
    expect(await card.getByRole("status").textContent()).toBe(EN.panel.pairingCodeHint);
    // the typed number survives the card's re-render and reached WAHA in international form
    expect(await phone.inputValue()).toBe("+7 900 123-45-67");
    expect(JSON.parse(selfHosted.waha.requests.at(-1)!.body)).toEqual({ phoneNumber: "79001234567" });
    expect(selfHosted.waha.violations).toEqual([]);

    // the refused number's 400, as the browser reports any error status; nothing else went wrong
    expect(problems).toHaveLength(2);
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/status of 400/), expect.stringMatching(/^HTTP 400: POST .*\/pairing-code$/)]));
    await page.close();
  });

  it("lead card: render() draws the account's channels and their state in the right column through render_template", async () => {
    const account = await installedAccount();
    const seeded = await seedChannel(account, "Sales WhatsApp");
    const { page, problems } = await openWidget(account, "chats", "lcard");
    const block = page.locator("#widgets_block .chatbridge-card");
    await block.locator(".cb-card-line").waitFor();
    expect(await block.locator(".cb-muted").textContent()).toBe(EN.panel.cardChannels!.replace("{count}", "1"));
    expect(await block.locator(".cb-card-line").textContent()).toBe(`Sales WhatsApp: ${EN.panel[`state_${seeded.state}`]}`);
    expect(await page.locator(".chatbridge-widget").count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });
});
