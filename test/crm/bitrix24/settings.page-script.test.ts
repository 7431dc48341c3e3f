import { afterAll, beforeAll, describe, expect, it } from "vitest";
import statusUnauthorized from "../../../app/providers/wappi/fixtures/get-status-unauthorized.json";
import { SETTINGS_PAGE_SCRIPT } from "../../../app/crm/bitrix24/settings/page-script.js";
import { AdminHarness } from "../../api/admin/harness.js";
import { backends } from "../../support/db.js";

/**
 * Just enough DOM for the page script (no DOM library in the project): elements with
 * properties, attributes, children, listeners and `[attr]` selectors. It runs the page's real
 * script against the real API, so the wiring between the page and the admin API is exercised.
 */
class FakeElement {
  [prop: string]: unknown;
  readonly children: FakeElement[] = [];
  readonly attrs = new Map<string, string>();
  readonly listeners = new Map<string, Array<(ev: unknown) => unknown>>();
  private ownText = "";
  constructor(readonly tagName: string) {
    // like the browser's form controls, which start with an empty value
    if (tagName === "input" || tagName === "select") this.value = "";
  }
  get textContent(): string {
    return this.ownText + this.children.map((c) => c.textContent).join("");
  }
  set textContent(text: string) {
    this.ownText = text;
    this.children.length = 0;
  }
  append(...nodes: Array<FakeElement | string>) {
    for (const n of nodes) this.children.push(typeof n === "string" ? Object.assign(new FakeElement("#text"), { textContent: n }) : n);
  }
  replaceChildren(...nodes: FakeElement[]) {
    this.textContent = "";
    this.append(...nodes);
  }
  setAttribute(name: string, value: string) {
    this.attrs.set(name, value);
  }
  getAttribute(name: string) {
    return this.attrs.get(name) ?? null;
  }
  addEventListener(type: string, fn: (ev: unknown) => unknown) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  fire(type: string) {
    for (const fn of this.listeners.get(type) ?? []) fn({ currentTarget: this, preventDefault() {} });
  }
  select() {}
  descendants(): FakeElement[] {
    return this.children.flatMap((c) => [c, ...c.descendants()]);
  }
  querySelectorAll(selector: string): FakeElement[] {
    const attr = /^\[([\w-]+)\]$/.exec(selector)?.[1];
    if (!attr) throw new Error(`unsupported selector ${selector}`);
    return this.descendants().filter((n) => n.attrs.has(attr));
  }
}

function fakeDocument(bootJson: string) {
  const body = new FakeElement("body");
  for (const id of ["cb-boot", "cb-line-binding", "cb-page-status", "cb-channels", "cb-add-form"]) body.append(Object.assign(new FakeElement("div"), { id }));
  body.descendants().find((n) => n.id === "cb-boot")!.textContent = bootJson;
  const byId = (id: string) => body.descendants().find((n) => n.id === id);
  return { body, byId, document: { createElement: (tag: string) => new FakeElement(tag), getElementById: byId, querySelectorAll: (s: string) => body.querySelectorAll(s) } };
}

const BOOT_BLOCK = /<script type="application\/json" id="cb-boot">([\s\S]*?)<\/script>/;

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.each(await backends())("settings page script against the admin API (%s)", (backend) => {
  const h = new AdminHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("renders the form from /api/providers, adds a channel, binds it to the line, reports errors, shows the QR, regenerates the URL, deletes it", async () => {
    const portal = await h.installed();
    const qs = new URLSearchParams({ DOMAIN: h.fake.host, PROTOCOL: "0", LANG: "en" });
    const pageUrl = `https://bridge.example/b24/placement/connector?${qs}`;
    const res = await h.postForm(`/b24/placement/connector?${qs}`, {
      AUTH_ID: h.fake.issueUserToken({ ID: "7", ADMIN: true }),
      member_id: portal.memberId,
      PLACEMENT: "SETTING_CONNECTOR",
      PLACEMENT_OPTIONS: JSON.stringify({ CONNECTOR: "chatbridge", LINE: "8", ACTIVE_STATUS: false }),
    });
    const { byId, body, document } = fakeDocument(BOOT_BLOCK.exec(await res.text())![1]!);
    const confirms: string[] = [];
    const window = { confirm: (text: string) => (confirms.push(text), true), crypto: globalThis.crypto };
    const fetch = (url: URL, init: RequestInit) => h.app.request(url.pathname + url.search, init);
    new Function("document", "window", "location", "fetch", "navigator", SETTINGS_PAGE_SCRIPT)(document, window, { href: pageUrl }, fetch, {});

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
});
