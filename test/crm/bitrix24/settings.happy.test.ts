import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminHarness } from "../../api/admin/harness.js";
import { backends } from "../../support/db.js";
import type { InstalledPortal } from "./harness.js";

const BOOT_BLOCK = /<script type="application\/json" id="cb-boot">([\s\S]*?)<\/script>/;

interface Boot {
  token: string;
  apiBase: string;
  lang: string;
  texts: Record<string, string>;
  line: string | null;
  boundChannelId: string | null;
  channels: Array<{ id: string; name: string; webhook_url: string | null; hook_url: string | null }>;
}

function bootOf(page: string): Boot {
  const block = BOOT_BLOCK.exec(page);
  if (!block) throw new Error("no boot block in the page");
  return JSON.parse(block[1]!) as Boot;
}

/** What Bitrix24 POSTs into the app frame (reference/bitrix24.md 1.2, 3.4). */
function openFrame(h: AdminHarness, path: string, portal: InstalledPortal, opts: { body?: Record<string, string>; query?: Record<string, string> } = {}) {
  const authId = h.fake.issueUserToken({ ID: "7", ADMIN: true });
  const qs = new URLSearchParams({ DOMAIN: h.fake.host, PROTOCOL: "0", LANG: "en", APP_SID: "9f0d2c6a1e", ...opts.query });
  return h.postForm(`${path}?${qs}`, {
    AUTH_ID: authId,
    AUTH_EXPIRES: "3600",
    REFRESH_ID: "2lg086mxijlpvwh0h7r4nl19udm4try5",
    SERVER_ENDPOINT: "https://oauth.bitrix.info/rest/",
    member_id: portal.memberId,
    status: "L",
    PLACEMENT: "DEFAULT",
    PLACEMENT_OPTIONS: "{}",
    ...opts.body,
  });
}

const connectorOptions = (line: string) =>
  JSON.stringify({ CONNECTOR: "chatbridge", LINE: line, STATUS: false, ACTIVE_STATUS: true, CONNECTION_STATUS: false, REGISTER_STATUS: false, ERROR_STATUS: false });

describe.each(await backends())("Bitrix24 settings pages: happy paths (%s)", (backend) => {
  const h = new AdminHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("POST /b24/app answers the page with a working bearer token, framable by the portal only", async () => {
    const portal = await h.installed();
    const res = await openFrame(h, "/b24/app", portal);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("x-frame-options")).toBeNull();
    const csp = res.headers.get("content-security-policy") ?? "";
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain(`frame-ancestors http://${h.fake.host}`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(res.headers.get("cache-control")).toBe("no-store");

    const page = await res.text();
    expect(page).toContain(`<script nonce="${nonce}">`);
    // the messages section and the dead letters view are where the page script renders them
    for (const id of ["cb-message-filters", "cb-messages", "cb-dead-letters"]) expect(page).toContain(`id="${id}"`);
    expect(page).toContain("<h2>Dead letters</h2>");
    const boot = bootOf(page);
    expect(boot).toMatchObject({ apiBase: "../api", lang: "en", line: null, channels: [] });
    expect(new URL(`${boot.apiBase}/channels`, "https://bridge.example/b24/app?DOMAIN=x").pathname).toBe("/api/channels");
    expect(await h.call("GET", "/api/channels", boot.token)).toMatchObject({ status: 200, body: { ok: true, channels: [] } });
  });

  it("a new nonce per answer, and each page's token is its own session", async () => {
    const portal = await h.installed();
    const [a, b] = [await openFrame(h, "/b24/app", portal), await openFrame(h, "/b24/app", portal)];
    expect(a.headers.get("content-security-policy")).not.toBe(b.headers.get("content-security-policy"));
    expect(bootOf(await a.text()).token).not.toBe(bootOf(await b.text()).token);
  });

  it("the page lists the portal's channels with their webhook and provider hook URLs", async () => {
    const { portal, token } = await h.adminPortal();
    const id = await h.apiChannel(token, "Sales WhatsApp");
    const boot = bootOf(await (await openFrame(h, "/b24/app", portal)).text());
    expect(boot.channels).toHaveLength(1);
    expect(boot.channels[0]).toMatchObject({ id, name: "Sales WhatsApp" });
    expect(boot.channels[0]!.webhook_url).toMatch(/^https:\/\/bridge\.example\/rest\/webhook\/wa\/[A-Za-z0-9_-]+$/);
    expect(boot.channels[0]!.hook_url).toMatch(/^https:\/\/bridge\.example\/hooks\/wappi\//);
  });

  it("LANG=ru gives the Russian texts; an unknown language gives English", async () => {
    const portal = await h.installed();
    const ru = await (await openFrame(h, "/b24/app", portal, { query: { LANG: "ru" } })).text();
    expect(ru).toContain('<html lang="ru">');
    expect(bootOf(ru).texts).toMatchObject({ addChannel: "Добавить канал", messages: "Сообщения", retry: "Повторить", loadMore: "Показать ещё" });
    expect(ru).toContain("<h2>Неотправленные сообщения</h2>");
    const de = bootOf(await (await openFrame(h, "/b24/app", portal, { query: { LANG: "de" } })).text());
    expect(de).toMatchObject({ lang: "en", texts: { addChannel: "Add a channel" } });
  });

  it("the connector placement carries the Open Line, and shows the channel bound to it after a bind with its token", async () => {
    const portal = await h.installed();
    const first = await openFrame(h, "/b24/placement/connector", portal, { body: { PLACEMENT: "SETTING_CONNECTOR", PLACEMENT_OPTIONS: connectorOptions("3") } });
    expect(first.status).toBe(200);
    const page = await first.text();
    expect(page).toContain("Open Line 3");
    const boot = bootOf(page);
    expect(boot).toMatchObject({ line: "3", apiBase: "../../api", boundChannelId: null });

    const id = await h.apiChannel(boot.token, "Support");
    const bind = await h.call("POST", `/api/channels/${id}/bind`, boot.token, { line: boot.line });
    expect(bind).toMatchObject({ status: 200, body: { ok: true, channel: id, line: "3" } });

    const again = bootOf(await (await openFrame(h, "/b24/placement/connector", portal, { body: { PLACEMENT: "SETTING_CONNECTOR", PLACEMENT_OPTIONS: connectorOptions("3") } })).text());
    expect(again).toMatchObject({ line: "3", boundChannelId: id });
    const otherLine = bootOf(await (await openFrame(h, "/b24/placement/connector", portal, { body: { PLACEMENT_OPTIONS: connectorOptions("4") } })).text());
    expect(otherLine).toMatchObject({ line: "4", boundChannelId: null });
  });

  it("a numeric LINE and 0/1 ACTIVE_STATUS of older portals are accepted", async () => {
    const portal = await h.installed();
    const res = await openFrame(h, "/b24/placement/connector", portal, { body: { PLACEMENT_OPTIONS: JSON.stringify({ CONNECTOR: "chatbridge", LINE: 12, ACTIVE_STATUS: 0 }) } });
    expect(res.status).toBe(200);
    expect(bootOf(await res.text()).line).toBe("12");
  });
});
