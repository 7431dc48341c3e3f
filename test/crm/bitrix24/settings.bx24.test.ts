import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { BX24_SCRIPT_URL, frameAncestorOf, loadsBx24, setSettingsPageHeaders } from "../../../app/crm/bitrix24/settings/frame-page-security.js";
import { textsOf } from "../../../app/crm/bitrix24/settings/page-texts.js";
import { settingsPageHtml } from "../../../app/crm/bitrix24/settings/settings-page.js";

describe("BX24.js in the settings frame (fitWindow needs Bitrix24's own library)", () => {
  it("is loaded only in the frame of a portal on the internet: https and a DNS name", () => {
    expect(loadsBx24(frameAncestorOf("acme.bitrix24.ru", "1"))).toBe(true);
    expect(loadsBx24(frameAncestorOf("crm.example.com:8443", "1"))).toBe(true);
    expect(loadsBx24(frameAncestorOf("acme.bitrix24.ru", "0"))).toBe(false);
    expect(loadsBx24(frameAncestorOf("127.0.0.1:4000", "1"))).toBe(false);
    expect(loadsBx24(frameAncestorOf("localhost:4000", "1"))).toBe(false);
    expect(loadsBx24(frameAncestorOf("x.example; script-src *", "1"))).toBe(false);
  });

  it("the CSP allows Bitrix24's script host exactly then, and the page loads it async under the nonce before the page script", async () => {
    const app = new Hono().get("/:domain", (c) => {
      setSettingsPageHeaders(c, "n0nce", frameAncestorOf(c.req.param("domain"), "1"));
      return c.text("");
    });
    const real = (await app.request("/acme.bitrix24.ru")).headers.get("content-security-policy");
    expect(real).toContain("script-src 'nonce-n0nce' https://api.bitrix24.com;");
    const local = (await app.request("/127.0.0.1:4000")).headers.get("content-security-policy");
    expect(local).toContain("script-src 'nonce-n0nce';");

    const boot = { token: "t", apiBase: "../api", lang: "en" as const, texts: textsOf("en"), line: null, boundChannelId: null, channels: [], docsUrl: "https://bridge.example/docs?lang=en" };
    const withBx24 = String(await settingsPageHtml(boot, "n0nce", true));
    const tag = `<script id="cb-bx24" async nonce="n0nce" src="${BX24_SCRIPT_URL}"></script>`;
    expect(withBx24).toContain(tag);
    expect(withBx24.indexOf(tag)).toBeLessThan(withBx24.indexOf(`<script nonce="n0nce">`));
    expect(String(await settingsPageHtml(boot, "n0nce", false))).not.toContain("api.bitrix24.com");
  });
});
