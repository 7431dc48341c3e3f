import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminHarness } from "../../api/admin/harness.js";
import { backends } from "../../support/db.js";
import { type InstalledPortal, newMemberId } from "./harness.js";

const BOOT_BLOCK = /<script type="application\/json" id="cb-boot">([\s\S]*?)<\/script>/;
const XSS = `</script><img src=x onerror=alert(1)>"'&`;

/** What Bitrix24 POSTs into the app frame (reference/bitrix24.md 1.2, 3.4); `admin` picks the user. */
function openFrame(
  h: AdminHarness,
  path: string,
  portal: Pick<InstalledPortal, "memberId">,
  opts: { admin?: boolean; body?: Record<string, string>; query?: Record<string, string> } = {},
) {
  const authId = h.fake.issueUserToken({ ID: "7", ADMIN: opts.admin ?? true });
  const qs = new URLSearchParams({ DOMAIN: h.fake.host, PROTOCOL: "0", LANG: "en", ...opts.query });
  return h.postForm(`${path}?${qs}`, { AUTH_ID: authId, AUTH_EXPIRES: "3600", member_id: portal.memberId, PLACEMENT: "DEFAULT", PLACEMENT_OPTIONS: "{}", ...opts.body });
}

/** An error page: HTML, not JSON, no token, no script, no stack. */
async function expectErrorPage(res: Response, status: number, hint: RegExp): Promise<string> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^text\/html/);
  expect(res.headers.get("x-frame-options")).toBeNull();
  const page = await res.text();
  expect(page).toMatch(hint);
  expect(page).not.toMatch(BOOT_BLOCK);
  expect(page).not.toContain("<script");
  expect(page).not.toMatch(/\bat .+\.(ts|js):\d+/);
  return page;
}

describe.each(await backends())("Bitrix24 settings pages: security (%s)", (backend) => {
  const h = new AdminHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("a user who is not a portal admin gets a 403 page and no session", async () => {
    const portal = await h.installed();
    for (const path of ["/b24/app", "/b24/placement/connector"]) {
      const page = await expectErrorPage(await openFrame(h, path, portal, { admin: false }), 403, /Only Bitrix24 administrators/);
      expect(page).toContain("administrators can change the connector settings");
    }
  });

  it("the 403 page is Russian for LANG=ru", async () => {
    const portal = await h.installed();
    await expectErrorPage(await openFrame(h, "/b24/app", portal, { admin: false, query: { LANG: "ru" } }), 403, /только администраторы Битрикс24/i);
  });

  it("a forged AUTH_ID gets a 401 page", async () => {
    const portal = await h.installed();
    await expectErrorPage(await openFrame(h, "/b24/app", portal, { body: { AUTH_ID: "forgedtoken123456" } }), 401, /Open the app again/);
    expect(h.fake.callsOf("profile").at(-1)!.body.auth).toBe("forgedtoken123456");
  });

  it("an unknown member_id gets a 401 page", async () => {
    await expectErrorPage(await openFrame(h, "/b24/placement/connector", { memberId: newMemberId() }), 401, /Open the app again/);
  });

  it("a wrong DOMAIN gets a 401 page before the portal is asked; that page carries no token, so it may show in that frame", async () => {
    const portal = await h.installed();
    const before = h.fake.callsOf("profile").length;
    const res = await openFrame(h, "/b24/app", portal, { query: { DOMAIN: "evil.example.com", PROTOCOL: "1" } });
    await expectErrorPage(res, 401, /Open the app again/);
    expect(h.fake.callsOf("profile").length).toBe(before);
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors https://evil.example.com");
  });

  it("a DOMAIN that could inject CSP directives is not put into the header", async () => {
    const portal = await h.installed();
    const res = await openFrame(h, "/b24/app", portal, { query: { DOMAIN: "x.example; script-src *" } });
    expect(res.status).toBe(401);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("script-src *");
  });

  it("a missing member_id and a JSON body get HTML pages, not JSON", async () => {
    const noMember = await h.postForm(`/b24/app?DOMAIN=${h.fake.host}`, { AUTH_ID: "ut1xabcdefgh" });
    await expectErrorPage(noMember, 400, /Open the app again/);
    const json = await h.app.request(`/b24/app?DOMAIN=${h.fake.host}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    await expectErrorPage(json, 400, /Open the app again/);
  });

  it("the placement without a usable LINE gets a 400 page that does not echo the options", async () => {
    const portal = await h.installed();
    for (const options of ["not json", "{}", JSON.stringify({ LINE: XSS }), JSON.stringify({ LINE: "0" })]) {
      const page = await expectErrorPage(await openFrame(h, "/b24/placement/connector", portal, { body: { PLACEMENT_OPTIONS: options } }), 400, /Contact Center/);
      expect(page).not.toContain("<img");
    }
  });

  it("hostile PLACEMENT_OPTIONS and channel names are embedded escaped, and read back unchanged", async () => {
    const { portal, token } = await h.adminPortal();
    await h.apiChannel(token, XSS);
    const res = await openFrame(h, "/b24/placement/connector", portal, { body: { PLACEMENT_OPTIONS: JSON.stringify({ LINE: "5", CONNECTOR: XSS, EXTRA: XSS }) } });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).not.toContain("<img");
    expect(page).not.toContain("</script><");
    // the only script end tags are the two of the page's own blocks
    expect(page.match(/<\/script>/g)).toHaveLength(2);
    const boot = JSON.parse(BOOT_BLOCK.exec(page)![1]!) as { line: string; channels: Array<{ name: string }> };
    expect(boot.line).toBe("5");
    expect(boot.channels[0]!.name).toBe(XSS);
  });

  it("the error page never echoes a hostile field value", async () => {
    const res = await h.postForm(`/b24/app?DOMAIN=${h.fake.host}`, { member_id: newMemberId(), AUTH_ID: XSS });
    const page = await expectErrorPage(res, 400, /Open the app again/);
    expect(page).not.toContain("<img");
  });

  it("a page's token is scoped to its portal: another portal's channel is not found", async () => {
    const other = await h.adminPortal();
    const channel = await h.apiChannel(other.token, "Theirs");
    const portal = await h.installed();
    const page = await (await openFrame(h, "/b24/app", portal)).text();
    const { token } = JSON.parse(BOOT_BLOCK.exec(page)![1]!) as { token: string };
    expect(await h.call("GET", `/api/channels/${channel}`, token)).toMatchObject({ status: 404, body: { error: "not_found" } });
    expect(await h.call("DELETE", `/api/channels/${channel}`, token)).toMatchObject({ status: 404 });
  });
});
