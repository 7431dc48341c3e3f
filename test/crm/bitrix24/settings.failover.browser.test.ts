import type { FrameLocator, Request } from "playwright-core";
import { describe, expect, it } from "vitest";
import { AdminHarness } from "../../api/admin/harness.js";
import { browserSuitesRun } from "../../support/chromium.js";
import { useSettingsBrowser } from "./settings-browser.js";
import { seedFailover } from "./settings-failover-state.js";

const EDIT = "Name, pacing, fallbacks and caps";

describe.skipIf(!browserSuitesRun())("Bitrix24 settings page in headless Chromium: fallback channels, daily caps, events and the time zone", () => {
  const h = new AdminHarness("pglite");
  const rig = useSettingsBrowser(h);

  const cardOf = (app: FrameLocator, name: string) => app.locator("article.cb-card", { has: app.locator("header strong", { hasText: new RegExp(`^${name}$`) }) });
  const patchBodies = (requests: Request[]) => requests.filter((r) => r.method() === "PATCH").map((r) => ({ path: new URL(r.url()).pathname, body: r.postDataJSON() }));

  it("chooses fallbacks in order, caps and the overflow, saves them in one PATCH; the cards show the group and today's use", async () => {
    const { portal, token } = await h.adminPortal();
    const main = await h.apiChannel(token, "Main");
    const reserve = await h.apiChannel(token, "Reserve");
    const spare = await h.apiChannel(token, "Spare");
    const { page, app, problems } = await rig.open(portal);
    const requests: Request[] = [];
    page.on("request", (r) => requests.push(r));
    const card = cardOf(app, "Main");
    await card.getByRole("button", { name: EDIT }).click();
    expect(await card.textContent()).toContain("for example 20–30 new chats a day for its first weeks");
    await card.getByLabel("Add a fallback channel…").selectOption({ label: "Reserve" });
    await card.getByLabel("Add a fallback channel…").selectOption({ label: "Spare" });
    await card.locator("li.cb-fallback", { hasText: "Spare" }).getByRole("button", { name: "Up" }).click();
    expect(await card.locator("li.cb-fallback > span").allTextContents()).toEqual(["Fallback 1: Spare", "Fallback 2: Reserve"]);
    await card.getByLabel("Messages per day").fill("50");
    await card.getByLabel("New chats per day").fill("10");
    await card.getByLabel("Over the cap").selectOption("fallback");
    await card.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => card.locator("[data-note]").textContent()).toBe("The channel “Main” is saved.");

    expect(patchBodies(requests)).toEqual([
      { path: `/api/channels/${main}`, body: { name: "Main", paceMinMs: null, paceJitterMs: null, fallbacks: [spare, reserve], dailyMessageCap: 50, dailyNewChatCap: 10, capOverflow: "fallback" } },
    ]);
    expect(await card.locator(".cb-group").innerText()).toBe("Falls back to: Spare, Reserve\nToday: 0 of 50 messages, 0 of 10 new chats (Europe/Moscow)");
    expect(await cardOf(app, "Reserve").locator(".cb-group").innerText()).toBe("Fallback for: Main");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a banned channel in failover shows the warning, its use today and, on demand, its events newest first", async () => {
    const { portal, token } = await h.adminPortal();
    const main = await h.apiChannel(token, "Main");
    const reserve = await h.apiChannel(token, "Reserve");
    await h.call("PATCH", `/api/channels/${main}`, token, { fallbacks: [reserve], dailyMessageCap: 50, dailyNewChatCap: 10 });
    const since = new Date(h.clock.now().getTime() - 3_600_000);
    await seedFailover(h.t.db, { channelId: main, now: h.clock.now(), since, timeZone: "Europe/Moscow", messages: 12, newChats: 3 });
    const { page, app, problems } = await rig.open(portal);
    const card = cardOf(app, "Main");
    const warning = card.getByRole("alert");
    await warning.waitFor();
    // the browser formats the time in its own locale: checked up to "since"
    expect(await warning.textContent()).toMatch(/^Cannot send: banned — messages go through Reserve since .+\.$/);
    expect(await card.locator(".cb-group").textContent()).toContain("Today: 12 of 50 messages, 3 of 10 new chats (Europe/Moscow)");

    await card.getByRole("button", { name: "Events", exact: true }).click();
    const events = card.locator("li.cb-event");
    await events.first().waitFor();
    expect(await events.locator(".cb-badge").allTextContents()).toEqual(["cap reached", "failover"]);
    expect(await events.nth(1).textContent()).toContain("its messages go out through Reserve");
    await card.getByRole("button", { name: "Hide events" }).click();
    expect(await events.count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("the time zone shows (from the region) until Asia/Almaty is saved with PATCH /api/portal {timeZone}", async () => {
    const { portal, token } = await h.adminPortal();
    const { page, app, problems } = await rig.open(portal);
    const requests: Request[] = [];
    page.on("request", (r) => requests.push(r));
    const select = app.getByLabel("Time zone of the daily caps");
    await select.waitFor();
    expect(await select.inputValue()).toBe("Europe/Moscow");
    const field = app.locator("[data-time-zone]");
    expect(await field.textContent()).toContain("(from the region)");
    await select.selectOption("Asia/Almaty");
    await field.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => app.locator("#cb-time-zone-status").textContent()).toBe("Saved: days are counted in Asia/Almaty.");
    expect(patchBodies(requests)).toEqual([{ path: "/api/portal", body: { timeZone: "Asia/Almaty" } }]);
    expect(await app.locator("[data-time-zone]").textContent()).not.toContain("(from the region)");
    expect((await h.call("GET", "/api/portal", token)).body.portal).toMatchObject({ time_zone: "Asia/Almaty", time_zone_is_default: false });
    expect(problems).toEqual([]);
    await page.close();
  });
});
