import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { channels } from "../../../app/db/schema.js";
import { AdminHarness } from "../../api/admin/harness.js";
import { backends } from "../../support/db.js";
import type { FakeElement } from "./fake-settings-dom.js";
import { seedFailover } from "./settings-failover-state.js";
import { buttonIn, openPage, tagged, until } from "./settings-page-run.js";

const EDIT = "Name, pacing, fallbacks and caps";

describe.each(await backends())("settings page: fallback channels, daily caps, events and the time zone (%s)", (backend) => {
  const h = new AdminHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  /** The page with its cards by channel name and the editor's controls by their API field. */
  async function page(portal: Awaited<ReturnType<AdminHarness["adminPortal"]>>["portal"], lang = "en") {
    const opened = await openPage(h, portal, { path: "/b24/app", lang });
    const card = (name: string) => tagged(opened.byId("cb-channels")!, "article").find((a) => a.children[0]!.children[0]!.textContent === name)!;
    const control = (root: FakeElement, field: string) => root.querySelectorAll("[data-edit]").find((n) => n.getAttribute("data-edit") === field)!;
    const fieldError = (root: FakeElement, field: string) => root.querySelectorAll("[data-field-error]").find((n) => n.getAttribute("data-field-error") === field);
    const patches = () => opened.requests.filter((r) => r.method === "PATCH").map((r) => ({ path: r.path, body: r.body }));
    return { ...opened, card, control, fieldError, patches };
  }

  it("orders fallbacks with add/up/remove, sets caps and the overflow, and sends them in one PATCH; the cards show the group and today's use", async () => {
    const { portal, token } = await h.adminPortal();
    const main = await h.apiChannel(token, "Main");
    const reserve = await h.apiChannel(token, "Reserve");
    const spare = await h.apiChannel(token, "Spare");
    const p = await page(portal);
    await until("the cards", () => tagged(p.byId("cb-channels")!, "article").length === 3);
    buttonIn(p.card("Main"), EDIT)!.fire("click");
    const editor = () => p.card("Main");
    // caps are off by default; the explanation says why a new number starts low
    expect(p.control(editor(), "dailyMessageCap").value).toBe("");
    expect(p.control(editor(), "capOverflow").value).toBe("wait");
    expect(editor().textContent).toContain("for example 20–30 new chats a day for its first weeks");
    expect(editor().textContent).toContain("No fallback channels.");
    expect(tagged(p.control(editor(), "fallback-add"), "option").map((o) => o.textContent)).toEqual(["Add a fallback channel…", "Reserve", "Spare"]);

    for (const id of [reserve, spare]) Object.assign(p.control(editor(), "fallback-add"), { value: id }).fire("change");
    expect(tagged(editor(), "li").map((li) => li.children[0]!.textContent)).toEqual(["Fallback 1: Reserve", "Fallback 2: Spare"]);
    // every candidate is chosen: no select left to add one
    expect(p.control(editor(), "fallback-add")).toBeUndefined();
    buttonIn(tagged(editor(), "li")[1]!, "Up")!.fire("click");
    expect(tagged(editor(), "li").map((li) => li.children[0]!.textContent)).toEqual(["Fallback 1: Spare", "Fallback 2: Reserve"]);
    Object.assign(p.control(editor(), "dailyMessageCap"), { value: "50" }).fire("input");
    Object.assign(p.control(editor(), "dailyNewChatCap"), { value: " 10 " }).fire("input");
    Object.assign(p.control(editor(), "capOverflow"), { value: "fallback" }).fire("change");
    buttonIn(editor(), "Save")!.fire("click");
    await until("the saved note", () => p.card("Main").textContent.includes("The channel “Main” is saved."));

    expect(p.patches()).toEqual([
      { path: `/api/channels/${main}`, body: { name: "Main", paceMinMs: null, paceJitterMs: null, fallbacks: [spare, reserve], dailyMessageCap: 50, dailyNewChatCap: 10, capOverflow: "fallback" } },
    ]);
    expect((await h.call("GET", `/api/channels/${main}`, token)).body.channel).toMatchObject({
      group: { fallbacks: [spare, reserve] },
      daily_message_cap: 50,
      daily_new_chat_cap: 10,
      cap_overflow: "fallback",
    });
    const group = (name: string) => p.card(name).querySelectorAll("[data-group]")[0]?.textContent;
    expect(group("Main")).toBe("Falls back to: Spare, ReserveToday: 0 of 50 messages, 0 of 10 new chats (Europe/Moscow)");
    expect(group("Reserve")).toBe("Fallback for: Main");
    expect(group("Spare")).toBe("Fallback for: Main");

    // a rename sends the name and pacing only: the group and caps did not change
    buttonIn(p.card("Main"), EDIT)!.fire("click");
    expect(p.control(editor(), "dailyNewChatCap").value).toBe("10");
    expect(tagged(editor(), "li").map((li) => li.children[0]!.textContent)).toEqual(["Fallback 1: Spare", "Fallback 2: Reserve"]);
    Object.assign(p.control(editor(), "name"), { value: "Main number" }).fire("input");
    buttonIn(editor(), "Save")!.fire("click");
    await until("the rename", () => p.patches().length === 2);
    expect(p.patches()[1]!.body).toEqual({ name: "Main number", paceMinMs: null, paceJitterMs: null });

    // removing every fallback and clearing the caps sends [] and nulls
    await until("the renamed card", () => p.card("Main number") !== undefined);
    buttonIn(p.card("Main number"), EDIT)!.fire("click");
    const edited = () => p.card("Main number");
    buttonIn(tagged(edited(), "li")[0]!, "Remove")!.fire("click");
    buttonIn(tagged(edited(), "li")[0]!, "Remove")!.fire("click");
    Object.assign(p.control(edited(), "dailyMessageCap"), { value: "" }).fire("input");
    Object.assign(p.control(edited(), "dailyNewChatCap"), { value: "" }).fire("input");
    buttonIn(edited(), "Save")!.fire("click");
    await until("the cleared group", () => p.patches().length === 3);
    expect(p.patches()[2]!.body).toEqual({ name: "Main number", paceMinMs: null, paceJitterMs: null, fallbacks: [], dailyMessageCap: null, dailyNewChatCap: null });
    await until("the cards without group", () => p.card("Main number").querySelectorAll("[data-group]").length === 0);
    expect(p.card("Reserve").querySelectorAll("[data-group]")).toHaveLength(0);
  });

  it("a cap that is no whole number is marked before any request; a fallback deleted meanwhile gets the API's reason beside the list", async () => {
    const { portal, token } = await h.adminPortal();
    await h.apiChannel(token, "Main");
    const reserve = await h.apiChannel(token, "Reserve");
    const p = await page(portal);
    await until("the cards", () => tagged(p.byId("cb-channels")!, "article").length === 2);
    buttonIn(p.card("Main"), EDIT)!.fire("click");
    const editor = () => p.card("Main");
    Object.assign(p.control(editor(), "dailyNewChatCap"), { value: "0" }).fire("input");
    Object.assign(p.control(editor(), "dailyMessageCap"), { value: "2.5" }).fire("input");
    buttonIn(editor(), "Save")!.fire("click");
    expect(p.fieldError(editor(), "dailyNewChatCap")!.textContent).toBe("A whole number from 1, or empty for no cap.");
    expect(p.fieldError(editor(), "dailyMessageCap")!.textContent).toBe("A whole number from 1, or empty for no cap.");
    expect(p.control(editor(), "dailyNewChatCap").getAttribute("aria-invalid")).toBe("true");
    expect(p.patches()).toEqual([]);

    Object.assign(p.control(editor(), "dailyNewChatCap"), { value: "" }).fire("input");
    Object.assign(p.control(editor(), "dailyMessageCap"), { value: "" }).fire("input");
    Object.assign(p.control(editor(), "fallback-add"), { value: reserve }).fire("change");
    expect((await h.call("DELETE", `/api/channels/${reserve}`, token)).status).toBe(200);
    buttonIn(editor(), "Save")!.fire("click");
    await until("the fallbacks error", () => p.fieldError(editor(), "fallbacks") !== undefined);
    expect(p.fieldError(editor(), "fallbacks")!.textContent).toBe(`fallbacks: no channel ${reserve} in this portal`);
    expect(editor().textContent).toContain("Check the fields marked below.");
  });

  it("a banned channel in failover shows the warning with its fallback and since when, today's use, and its events newest first", async () => {
    const { portal, token } = await h.adminPortal();
    const main = await h.apiChannel(token, "Main");
    const reserve = await h.apiChannel(token, "Reserve");
    await h.call("PATCH", `/api/channels/${main}`, token, { fallbacks: [reserve], dailyMessageCap: 50, dailyNewChatCap: 10 });
    const since = new Date(h.clock.now().getTime() - 3_600_000);
    await seedFailover(h.t.db, { channelId: main, now: h.clock.now(), since, timeZone: "Europe/Moscow", messages: 12, newChats: 3 });
    const p = await page(portal);
    await until("the cards", () => tagged(p.byId("cb-channels")!, "article").length === 2);
    const warning = p.card("Main").querySelectorAll("[data-blocked]")[0]!;
    expect(warning.textContent).toBe(`Cannot send: banned — messages go through Reserve since ${since.toLocaleString("en")}.`);
    expect(warning.className).toBe("cb-status cb-status-error cb-blocked");
    expect(p.card("Main").textContent).toContain("Today: 12 of 50 messages, 3 of 10 new chats (Europe/Moscow)");
    expect(p.card("Reserve").querySelectorAll("[data-blocked]")).toHaveLength(0);

    buttonIn(p.card("Main"), "Events")!.fire("click");
    await until("the events", () => p.card("Main").querySelectorAll("[data-events]").length === 1);
    expect(p.requests.some((r) => r.path === `/api/channels/${main}/events?limit=50`)).toBe(true);
    const rows = tagged(p.card("Main"), "li").map((li) => li.children.map((c) => c.textContent));
    expect(rows).toEqual([
      [new Date(since.getTime() + 60_000).toLocaleString("en"), "cap reached", "Main reached its cap of 10 new chats today"],
      [since.toLocaleString("en"), "failover", "Main cannot send (its number is banned by the messenger): its messages go out through Reserve"],
    ]);
    buttonIn(p.card("Main"), "Hide events")!.fire("click");
    expect(p.card("Main").querySelectorAll("[data-events]")).toHaveLength(0);

    buttonIn(p.card("Reserve"), "Events")!.fire("click");
    await until("no events", () => p.card("Reserve").textContent.includes("No events yet."));

    // with no fallback that can send, the warning says only that it cannot send
    await h.t.db.update(channels).set({ state: "unauthorized" }).where(eq(channels.id, reserve));
    const again = await page(portal);
    await until("the cards", () => tagged(again.byId("cb-channels")!, "article").length === 2);
    expect(again.card("Main").querySelectorAll("[data-blocked]")[0]!.textContent).toBe("Cannot send: banned.");
    expect(again.card("Reserve").querySelectorAll("[data-blocked]")[0]!.textContent).toBe("Cannot send: credentials rejected.");
  });

  it("the time zone follows the region until one is saved with PATCH /api/portal {timeZone}; a name that is no zone gets the API's reason", async () => {
    const { portal, token } = await h.adminPortal();
    const p = await page(portal);
    await until("the time zone select", () => p.byId("cb-time-zone-select") !== undefined);
    const zone = () => p.byId("cb-time-zone")!;
    const status = () => zone().descendants().find((n) => n.id === "cb-time-zone-status")!;
    expect(p.byId("cb-time-zone-select")!.value).toBe("Europe/Moscow");
    expect(tagged(p.byId("cb-time-zone-select")!, "option").map((o) => o.value)).toContain("UTC");
    expect(zone().textContent).toContain("(from the region)");

    p.byId("cb-time-zone-select")!.value = "other";
    p.byId("cb-time-zone-select")!.fire("change");
    p.byId("cb-time-zone-other")!.value = "Mars/Olympus";
    buttonIn(zone(), "Save")!.fire("click");
    await until("the API's refusal", () => status().className === "cb-status cb-status-error");
    expect(status().textContent).toContain("IANA time zone");

    p.byId("cb-time-zone-other")!.value = "Europe/Paris";
    buttonIn(zone(), "Save")!.fire("click");
    await until("the saved note", () => status().textContent.startsWith("Saved"));
    expect(status().textContent).toBe("Saved: days are counted in Europe/Paris.");
    expect(p.patches().map((x) => x.body)).toEqual([{ timeZone: "Mars/Olympus" }, { timeZone: "Europe/Paris" }]);
    expect(p.byId("cb-time-zone-select")!.value).toBe("other");
    expect(p.byId("cb-time-zone-other")!.value).toBe("Europe/Paris");
    expect(zone().textContent).not.toContain("(from the region)");
    expect((await h.call("GET", "/api/portal", token)).body.portal).toMatchObject({ time_zone: "Europe/Paris", time_zone_is_default: false, region: "RU" });
  });

  it("a Russian-speaking admin gets the group, caps and time zone texts in Russian", async () => {
    const { portal, token } = await h.adminPortal();
    const main = await h.apiChannel(token, "Main");
    const reserve = await h.apiChannel(token, "Reserve");
    await h.call("PATCH", `/api/channels/${main}`, token, { fallbacks: [reserve], dailyNewChatCap: 20 });
    const p = await page(portal, "ru");
    await until("the cards", () => tagged(p.byId("cb-channels")!, "article").length === 2);
    expect(p.card("Main").textContent).toContain("Резерв: Reserve");
    expect(p.card("Main").textContent).toContain("Сегодня: сообщений 0, новых чатов 0 из 20 (Europe/Moscow)");
    expect(p.card("Reserve").textContent).toContain("Резерв для: Main");
    await until("the time zone", () => p.byId("cb-time-zone-select") !== undefined);
    expect(p.byId("cb-time-zone")!.textContent).toContain("Часовой пояс дневных лимитов");
    buttonIn(p.card("Main"), "Название, темп, резерв и лимиты")!.fire("click");
    expect(p.card("Main").textContent).toContain("WhatsApp блокирует номера, которые вдруг пишут многим незнакомым");
  });
});
