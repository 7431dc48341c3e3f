import type { Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserSuitesRun } from "../../support/chromium.js";
import { seedFailover } from "../bitrix24/settings-failover-state.js";
import { AmoAutomationHarness } from "./automation-harness.js";
import { WIDGET_LOCALES, WidgetSettingsBrowser } from "./widget-browser.js";

const EN = WIDGET_LOCALES.en.panel;
const RU = WIDGET_LOCALES.ru.panel;

/**
 * The widget's fallback channels, daily caps, events and time zone in headless Chromium, on an
 * account page of another origin than the backend (widget-browser.ts), against the real admin API.
 */
describe.skipIf(!browserSuitesRun())("amoCRM widget: fallback channels, daily caps, events and the time zone, in headless Chromium", () => {
  const h = new AmoAutomationHarness("pglite");
  const widget = new WidgetSettingsBrowser(h);

  beforeAll(async () => {
    await h.start();
    await widget.start();
  });

  afterAll(async () => {
    await widget.close();
    await h.close();
  });

  const cardOf = (page: Page, name: string) => page.locator(".chatbridge-widget .cb-card", { has: page.locator(".cb-card-head strong", { hasText: new RegExp(`^${name}$`) }) });
  const patches = (requests: Request[]) =>
    requests.filter((r) => r.method() === "PATCH").map((r) => ({ path: new URL(r.url()).pathname, body: r.postDataJSON() }));

  it("chooses fallbacks in order, caps and the overflow, and saves only them in one PATCH; the cards show the group and today's use", async () => {
    const account = await h.seedAccount();
    const main = await widget.channel(account, "Main");
    const reserve = await widget.channel(account, "Reserve");
    const spare = await widget.channel(account, "Spare");
    const { page, problems } = await widget.open(account, "en");
    const requests: Request[] = [];
    page.on("request", (r) => requests.push(r));
    const card = cardOf(page, "Main");
    await card.getByRole("button", { name: EN.editGroup! }).click();
    expect(await card.locator(".cb-group-edit").textContent()).toContain(EN.dailyCapsHint!);
    expect(await card.getByLabel(EN.dailyMessageCap!).inputValue()).toBe("");
    expect(await card.getByLabel(EN.capOverflow!).inputValue()).toBe("wait");
    await card.getByLabel(EN.addFallback!).selectOption({ label: "Reserve" });
    await card.getByLabel(EN.addFallback!).selectOption({ label: "Spare" });
    await card.locator("li.cb-fallback", { hasText: "Spare" }).getByRole("button", { name: EN.moveUp! }).click();
    expect(await card.locator("li.cb-fallback > span").allTextContents()).toEqual(["Fallback 1: Spare", "Fallback 2: Reserve"]);
    await card.getByLabel(EN.dailyMessageCap!).fill("50");
    await card.getByLabel(EN.dailyNewChatCap!).fill("10");
    await card.getByLabel(EN.capOverflow!).selectOption("fallback");
    await card.getByRole("button", { name: EN.saveGroup!, exact: true }).click();
    await expect.poll(() => card.locator("[data-note]").textContent()).toBe('The channel "Main" is saved');

    expect(patches(requests)).toEqual([{ path: `/api/channels/${main}`, body: { fallbacks: [spare, reserve], dailyMessageCap: 50, dailyNewChatCap: 10, capOverflow: "fallback" } }]);
    expect(await card.locator(".cb-group-edit").count()).toBe(0);
    expect(await card.locator(".cb-group").innerText()).toBe("Falls back to: Spare, Reserve\nToday: 0 of 50 messages, 0 of 10 new chats (Europe/Moscow)");
    expect(await cardOf(page, "Reserve").locator(".cb-group").innerText()).toBe("Fallback for: Main");
    expect((await widget.call(account, "GET", `/api/channels/${main}`)).body.channel).toMatchObject({
      group: { fallbacks: [spare, reserve] },
      daily_message_cap: 50,
      cap_overflow: "fallback",
    });

    // a cap that is no whole number is marked before any request
    await card.getByRole("button", { name: EN.editGroup! }).click();
    await card.getByLabel(EN.dailyNewChatCap!).fill("0");
    await card.getByRole("button", { name: EN.saveGroup!, exact: true }).click();
    expect(await card.locator("[data-field-error=dailyNewChatCap]").textContent()).toBe(EN.capInvalid);
    expect(patches(requests)).toHaveLength(1);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a fallback deleted meanwhile gets the API's reason beside the list", async () => {
    const account = await h.seedAccount();
    await widget.channel(account, "Main");
    const reserve = await widget.channel(account, "Reserve");
    const { page, problems } = await widget.open(account, "en");
    const card = cardOf(page, "Main");
    await card.getByRole("button", { name: EN.editGroup! }).click();
    await card.getByLabel(EN.addFallback!).selectOption({ label: "Reserve" });
    expect((await widget.call(account, "DELETE", `/api/channels/${reserve}`)).status).toBe(200);
    await card.getByRole("button", { name: EN.saveGroup!, exact: true }).click();
    await expect.poll(() => card.locator("[data-field-error=fallbacks]").textContent()).toBe(`fallbacks: no channel ${reserve} in this portal`);
    expect(await card.locator("[data-note]").textContent()).toBe(EN.fixFields);
    // the API's 400 is the only request error, as the browser reports it
    expect(problems.filter((p) => !p.includes("400"))).toEqual([]);
    await page.close();
  });

  it("a banned channel in failover shows the warning, its use today and, on demand, its events newest first", async () => {
    const account = await h.seedAccount();
    const main = await widget.channel(account, "Main");
    const reserve = await widget.channel(account, "Reserve");
    await widget.call(account, "PATCH", `/api/channels/${main}`, { fallbacks: [reserve], dailyMessageCap: 50, dailyNewChatCap: 10 });
    const since = new Date(h.clock.now().getTime() - 3_600_000);
    await seedFailover(h.t.db, { channelId: main, now: h.clock.now(), since, timeZone: "Europe/Moscow", messages: 12, newChats: 3 });
    const { page, problems } = await widget.open(account, "en");
    const card = cardOf(page, "Main");
    const warning = card.getByRole("alert");
    await warning.waitFor();
    expect(await warning.textContent()).toMatch(/^Cannot send: banned — messages go through Reserve since .+\.$/);
    expect(await card.locator(".cb-usage").textContent()).toBe("Today: 12 of 50 messages, 3 of 10 new chats (Europe/Moscow)");
    expect(await cardOf(page, "Reserve").getByRole("alert").count()).toBe(0);

    await card.getByRole("button", { name: EN.showEvents!, exact: true }).click();
    const events = card.locator("li.cb-event");
    await events.first().waitFor();
    expect(await events.locator(".cb-event-kind").allTextContents()).toEqual(["cap reached", "failover"]);
    expect(await events.nth(1).textContent()).toContain("its messages go out through Reserve");
    await card.getByRole("button", { name: EN.hideEvents! }).click();
    expect(await events.count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("the time zone shows (from the region) until Asia/Almaty is saved with PATCH /api/portal {timeZone}; Russian texts for a Russian admin", async () => {
    const account = await h.seedAccount();
    const { page, problems } = await widget.open(account, "en");
    const requests: Request[] = [];
    page.on("request", (r) => requests.push(r));
    const zone = page.locator(".chatbridge-widget .cb-time-zone");
    const select = zone.getByLabel(EN.timeZone!);
    expect(await select.inputValue()).toBe("Europe/Moscow");
    expect(await zone.locator(".cb-time-zone-default").textContent()).toBe("(from the region)");
    await select.selectOption("Asia/Almaty");
    await zone.getByRole("button", { name: EN.saveRegion! }).click();
    await expect.poll(() => page.locator(".cb-time-zone-status").textContent()).toBe("Saved: days are counted in Asia/Almaty.");
    expect(patches(requests)).toEqual([{ path: "/api/portal", body: { timeZone: "Asia/Almaty" } }]);
    expect(await page.locator(".cb-time-zone-default").count()).toBe(0);
    expect((await widget.call(account, "GET", "/api/portal")).body.portal).toMatchObject({ time_zone: "Asia/Almaty", time_zone_is_default: false, region: "RU" });
    expect(problems).toEqual([]);
    await page.close();

    const ru = await widget.open(account, "ru");
    expect(await ru.page.locator(".cb-time-zone").getByLabel(RU.timeZone!).inputValue()).toBe("Asia/Almaty");
    expect(ru.problems).toEqual([]);
    await ru.page.close();
  });
});
