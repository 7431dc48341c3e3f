import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import statusUnauthorized from "../../../app/providers/wappi/fixtures/get-status-unauthorized.json";
import { SETTINGS_PAGE_SCRIPT } from "../../../app/crm/bitrix24/settings/page-script.js";
import { AdminHarness } from "../../api/admin/harness.js";
import { WAPPI_KNOWN_PHONE } from "../../providers/wappi/fake.js";
import { backends } from "../../support/db.js";
import type { FakeElement } from "./fake-settings-dom.js";
import { buttonIn, openPage, tagged, until } from "./settings-page-run.js";

describe.each(await backends())("settings page script against the admin API (%s)", (backend) => {
  const h = new AdminHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("renders the form from /api/providers, adds a channel, binds it to the line, reports errors, shows the QR, regenerates the URL, deletes it", async () => {
    const portal = await h.installed();
    const { byId, body, confirms } = await openPage(h, portal, {
      path: "/b24/placement/connector",
      body: { PLACEMENT: "SETTING_CONNECTOR", PLACEMENT_OPTIONS: JSON.stringify({ CONNECTOR: "chatbridge", LINE: "8", ACTIVE_STATUS: false }) },
    });

    await until("the add form", () => byId("cb-provider") !== undefined);
    expect(byId("cb-channels")!.textContent).toContain("No channels yet");
    expect(byId("cb-line-binding")!.textContent).toContain("No channel is connected");

    const select = byId("cb-provider")!;
    select.value = "wappi";
    select.fire("change");
    const fields = () => byId("cb-add-form")!.querySelectorAll("[data-field]");
    expect(fields().map((f) => f.getAttribute("data-field"))).toEqual(["apiToken", "profileId", "messenger", "apiUrl"]);
    expect(fields()[0]!.type).toBe("password");

    // a required field left empty is caught before any request
    const form = byId("cb-add-form")!;
    const submit = () => (form.onsubmit as (ev: unknown) => Promise<void>)({ preventDefault() {} });
    await submit();
    expect(form.textContent).toContain("Fill in: Channel name, Api token, Profile id.");

    byId("cb-name")!.value = "Shop <b>WhatsApp</b>";
    const creds = h.wappiCredentials();
    for (const f of fields()) if (f.getAttribute("data-field") !== "messenger") f.value = creds[f.getAttribute("data-field")!] ?? "";
    await submit();
    await until("the new channel card", () => byId("cb-channels")!.textContent.includes("Shop <b>WhatsApp</b>"));
    const card = () => byId("cb-channels")!.descendants().find((n) => n.tagName === "article")!;
    expect(card().textContent).toContain("The channel “Shop <b>WhatsApp</b>” is added.");
    expect(card().descendants().some((n) => n.tagName === "input" && String(n.value).startsWith("https://bridge.example/rest/webhook/wa/"))).toBe(true);

    const buttonOf = (label: string) => card().descendants().find((n) => n.tagName === "button" && n.textContent === label)!;
    buttonOf("Send a test message").fire("click");
    await until("the test error", () => card().querySelectorAll("[data-note]")[0]!.className === "cb-status cb-status-error");
    expect(card().querySelectorAll("[data-note]")[0]!.textContent).toMatch(/^phone/);

    buttonOf("Connect to this Open Line").fire("click");
    await until("the binding", () => byId("cb-line-binding")!.textContent.includes("Shop <b>WhatsApp</b>"));
    expect(card().textContent).toContain("Connected to this Open Line");
    expect(h.fake.callsOf("imconnector.activate").at(-1)!.body).toMatchObject({ LINE: "8", ACTIVE: "1" });

    // a logged-out profile shows its QR code; once logged in, the image goes away
    h.wappi.answerNext({ status: 200, body: statusUnauthorized });
    buttonOf("Show QR code").fire("click");
    await until("the QR image", () => card().descendants().some((n) => n.tagName === "img"));
    expect(String(card().descendants().find((n) => n.tagName === "img")!.src)).toMatch(/^data:image\/png;base64,/);
    buttonOf("Refresh QR code").fire("click");
    await until("the logged-in note", () => card().textContent.includes("The channel is logged in"));
    expect(card().descendants().some((n) => n.tagName === "img")).toBe(false);

    const webhookUrl = () => String(card().descendants().find((n) => n.tagName === "input" && String(n.value).includes("/rest/webhook/"))!.value);
    const oldUrl = webhookUrl();
    buttonOf("New webhook URL").fire("click");
    await until("the new webhook URL", () => webhookUrl() !== oldUrl);
    expect(confirms.at(-1)).toContain("The current URL stops working");
    expect(card().textContent).toContain("the old one no longer works");

    buttonOf("Delete").fire("click");
    await until("the empty list", () => byId("cb-channels")!.textContent.includes("No channels yet"));
    expect(confirms.at(-1)).toContain("Delete the channel “Shop <b>WhatsApp</b>”?");
    expect(body.querySelectorAll("[data-note]")).toHaveLength(0);
    expect(byId("cb-page-status")!.textContent).toContain("is deleted");
    expect(byId("cb-line-binding")!.textContent).toContain("No channel is connected");
  });

  describe("messages, dead letters, channel editing and live state", () => {
    beforeEach(() => h.wappi.reset());

    const sendTest = async (token: string, channelId: string, text: string) => {
      const res = await h.call("POST", `/api/channels/${channelId}/test`, token, { phone: WAPPI_KNOWN_PHONE, text });
      h.clock.advance(1000);
      return String(res.body.message_id);
    };
    /** A test message that Wappi refuses: failed, its send job dead. */
    const deadLetter = async (token: string, channelId: string, text: string) => {
      h.wappi.answerNext({ status: 400, body: { status: "error", detail: "temporary refusal" } });
      const id = await sendTest(token, channelId, text);
      await h.runJobs(2);
      return id;
    };
    const rowIds = (root: FakeElement) => root.querySelectorAll("[data-message]").map((r) => r.getAttribute("data-message"));
    const rowOf = (root: FakeElement, id: string) => root.querySelectorAll("[data-message]").find((r) => r.getAttribute("data-message") === id);
    const statusOf = (row: FakeElement | undefined) => row?.querySelectorAll("[data-status]")[0]?.getAttribute("data-status");

    it("lists the portal's messages newest first, pages with Load more, filters failed ones, keeps bodies as text", async () => {
      const { portal, token } = await h.adminPortal();
      const channelId = await h.apiChannel(token, "Shop");
      const failedId = await deadLetter(token, channelId, "refused one");
      const sent = [failedId];
      for (let i = 0; i < 50; i++) sent.push(await sendTest(token, channelId, `hello ${i}`));
      sent.push(await sendTest(token, channelId, '<img src=x onerror="alert(1)">'));
      const { byId } = await openPage(h, portal);
      const list = byId("cb-messages")!;

      await until("the first page", () => rowIds(list).length === 50);
      expect(rowIds(list)).toEqual([...sent].reverse().slice(0, 50));
      const newest = rowOf(list, sent.at(-1)!)!;
      expect(newest.textContent).toContain('<img src=x onerror="alert(1)">');
      expect(tagged(newest, "img")).toHaveLength(0);
      expect(newest.textContent).toContain("Outgoing");
      expect(newest.textContent).toContain(WAPPI_KNOWN_PHONE);
      expect(statusOf(newest)).toBe("queued");

      buttonIn(list, "Load more")!.fire("click");
      await until("the second page", () => rowIds(list).length === 52);
      expect(rowIds(list)).toEqual([...sent].reverse());
      expect(buttonIn(list, "Load more")).toBeUndefined();
      expect(rowOf(list, failedId)!.textContent).toContain("Error bad_request:");

      const status = byId("cb-message-status")!;
      status.value = "failed";
      status.fire("change");
      await until("the failed filter", () => rowIds(list).length === 1);
      expect(rowIds(list)).toEqual([failedId]);
      expect(statusOf(rowOf(list, failedId))).toBe("failed");
      expect(rowIds(byId("cb-dead-letters")!)).toEqual([failedId]);
      // nothing the page builds is parsed as markup
      expect(SETTINGS_PAGE_SCRIPT).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
      // later tests count sends: none of these may still be waiting in the outbox
      const queued = async () => ((await h.call("GET", "/api/messages?status=queued", token)).body.messages as unknown[]).length;
      for (let round = 0; round < 100 && (await queued()) > 0; round++) await h.runJobs(1);
      expect(await queued()).toBe(0);
    });

    it("a dead letter retried from the page shows queued and is sent exactly once more; a refused retry shows the API's error beside the button", async () => {
      const { portal, token } = await h.adminPortal();
      const channelId = await h.apiChannel(token, "Support");
      const retriedId = await deadLetter(token, channelId, "second chance");
      const takenId = await deadLetter(token, channelId, "someone else's retry");
      const { byId } = await openPage(h, portal);
      const dead = byId("cb-dead-letters")!;
      await until("the dead letters", () => rowIds(dead).length === 2);

      buttonIn(rowOf(dead, retriedId)!, "Retry")!.fire("click");
      await until("the queued row", () => statusOf(rowOf(dead, retriedId)) === "queued");
      expect(rowOf(dead, retriedId)!.textContent).toContain("Queued again.");
      expect(buttonIn(rowOf(dead, retriedId)!, "Retry")).toBeUndefined();
      await h.runJobs(2);
      expect(h.wappiSends().filter((s) => s.body === "second chance")).toHaveLength(2);

      const listed = await h.call("GET", `/api/messages?channel=${channelId}&status=failed`, token);
      const jobId = (listed.body.messages as Array<{ id: string; send_job: { id: string } }>).find((m) => m.id === takenId)!.send_job.id;
      expect((await h.call("POST", `/api/jobs/${jobId}/retry`, token)).status).toBe(200);
      buttonIn(rowOf(dead, takenId)!, "Retry")!.fire("click");
      const note = () => rowOf(dead, takenId)!.querySelectorAll("[data-retry-note]")[0]!;
      await until("the retry error", () => note().className === "cb-status cb-status-error");
      expect(note().textContent).toContain("not dead");
      expect(buttonIn(rowOf(dead, takenId)!, "Retry")!.disabled).toBe(false);
    });

    it("renames a channel and overrides its pacing in seconds; an out-of-range value shows the API's field error beside its box", async () => {
      const { portal, token } = await h.adminPortal();
      const channelId = await h.apiChannel(token, "Old name");
      const { byId } = await openPage(h, portal);
      const card = () => tagged(byId("cb-channels")!, "article")[0]!;
      await until("the edit button", () => buttonIn(card(), "Name, pacing, fallbacks and caps") !== undefined);
      buttonIn(card(), "Name, pacing, fallbacks and caps")!.fire("click");
      const box = (field: string) => card().querySelectorAll("[data-edit]").find((n) => n.getAttribute("data-edit") === field)!;
      const type = (field: string, value: string) => Object.assign(box(field), { value }).fire("input");
      const fieldError = (field: string) => card().querySelectorAll("[data-field-error]").find((n) => n.getAttribute("data-field-error") === field);

      type("name", "New <i>name</i>");
      type("paceMinMs", "0,5");
      buttonIn(card(), "Save")!.fire("click");
      await until("the field error", () => fieldError("paceMinMs") !== undefined);
      expect(fieldError("paceMinMs")!.textContent).toBe("From 1 to 600 seconds, or empty for the provider's default.");
      expect(box("paceMinMs").getAttribute("aria-invalid")).toBe("true");
      expect(box("name").value).toBe("New <i>name</i>");
      await until("the card note", () => card().textContent.includes("Check the fields marked below."));
      expect((await h.call("GET", `/api/channels/${channelId}`, token)).body.channel).toMatchObject({ name: "Old name", pace_min_ms: null });

      type("paceMinMs", "2");
      type("paceJitterMs", "1,5");
      buttonIn(card(), "Save")!.fire("click");
      await until("the saved channel", () => card().textContent.includes("The channel “New <i>name</i>” is saved."));
      expect(card().querySelectorAll("[data-edit]")).toHaveLength(0);
      expect((await h.call("GET", `/api/channels/${channelId}`, token)).body.channel).toMatchObject({ name: "New <i>name</i>", pace_min_ms: 2000, pace_jitter_ms: 1500 });

      buttonIn(card(), "Name, pacing, fallbacks and caps")!.fire("click");
      expect(box("paceMinMs").value).toBe("2");
      type("paceMinMs", "");
      type("paceJitterMs", "soon");
      buttonIn(card(), "Save")!.fire("click");
      expect(fieldError("paceJitterMs")!.textContent).toBe("Enter a number of seconds, or leave it empty.");
    });

    it("refreshes the QR code every 5 s until the channel is connected, and the channel list every 20 s while visible, keeping a typed phone", async () => {
      const { portal, token } = await h.adminPortal();
      const channelId = await h.apiChannel(token, "Front desk");
      const { byId, timers, setVisibility, document } = await openPage(h, portal);
      const card = () => tagged(byId("cb-channels")!, "article")[0]!;
      const phone = () => tagged(card(), "input").find((n) => n.type === "tel")!;
      await until("the QR button", () => buttonIn(card(), "Show QR code") !== undefined);
      expect(timers.delays()).toEqual([20_000]);
      Object.assign(phone(), { value: "79005550011" }).fire("input");

      h.wappi.answerNext({ status: 200, body: statusUnauthorized });
      buttonIn(card(), "Show QR code")!.fire("click");
      await until("the QR image", () => tagged(card(), "img").length === 1);
      expect(timers.delays()).toEqual([5_000, 20_000]);

      h.wappi.answerNext({ status: 200, body: statusUnauthorized });
      const qrCalls = () => h.wappi.requests.filter((r) => r.path.includes("/qr")).length;
      const before = qrCalls();
      timers.fire(5_000);
      await until("the second QR round", () => qrCalls() === before + 1 && timers.delays().includes(5_000));
      expect(tagged(card(), "img")).toHaveLength(1);

      timers.fire(5_000);
      await until("the connected note", () => card().textContent.includes("The channel is logged in"));
      expect(tagged(card(), "img")).toHaveLength(0);
      expect(timers.delays()).toEqual([20_000]);
      expect(phone().value).toBe("79005550011");

      await h.call("PATCH", `/api/channels/${channelId}`, token, { name: "Front desk 2" });
      timers.fire(20_000);
      await until("the refreshed list", () => card().textContent.includes("Front desk 2"));
      await until("the next round", () => timers.delays().includes(20_000));
      expect(phone().value).toBe("79005550011");

      // while the admin types in a card, a round is skipped rather than re-rendering under the caret
      document.activeElement = phone();
      await h.call("PATCH", `/api/channels/${channelId}`, token, { name: "Front desk typing" });
      timers.fire(20_000);
      expect(timers.delays()).toEqual([20_000]);
      expect(card().textContent).not.toContain("Front desk typing");
      document.activeElement = null;

      setVisibility("hidden");
      expect(timers.delays()).toEqual([]);
      await h.call("PATCH", `/api/channels/${channelId}`, token, { name: "Front desk 3" });
      setVisibility("visible");
      await until("the list on return", () => card().textContent.includes("Front desk 3"));
      await until("polling again", () => timers.delays().includes(20_000));
    });
  });
});
