import type { Context } from "hono";
import { raw } from "hono/html";
import { bytesToBase64 } from "../../../core/encoding.js";

/** A fresh nonce per answer: only the page's own inline script and styles run (CSP level 2+). */
export function newNonce(): string {
  return bytesToBase64(crypto.getRandomValues(new Uint8Array(18)));
}

/** A DOMAIN usable in a CSP source: host name (or IP) with an optional port, nothing that could end the directive. */
const FRAME_HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::\d{1,5})?$/;

/**
 * The portal that may frame the page: DOMAIN and PROTOCOL from the frame's query (1.2; PROTOCOL
 * 0 is http). The page holds a bearer token, so no other site may frame it and read it by
 * clickjacking; a DOMAIN that is not a plain host gets 'none'.
 */
export function frameAncestorOf(domain: string | undefined, protocol: string | undefined): string {
  const host = (domain ?? "").trim();
  if (!FRAME_HOST.test(host)) return "'none'";
  return `${protocol === "0" ? "http" : "https"}://${host.toLowerCase()}`;
}

/**
 * Bitrix24's JS library for app frames (BX24.js: fitWindow, resizeWindow, reading the frame's
 * auth), served by Bitrix24 itself. The page works without it; it is loaded only in a frame of a
 * portal on the internet (https, a DNS name), never in one on an address of a private or test
 * network, where it could not load anyway.
 */
export const BX24_SCRIPT_URL = "https://api.bitrix24.com/api/v1/";
const BX24_ORIGIN = "https://api.bitrix24.com";

export function loadsBx24(frameAncestor: string): boolean {
  const m = /^https:\/\/([a-z0-9.-]+)(?::\d+)?$/.exec(frameAncestor);
  if (!m) return false;
  const host = m[1]!;
  return host !== "localhost" && !/^[\d.]+$/.test(host) && host.includes(".");
}

/**
 * Headers of every settings answer. No X-Frame-Options: Bitrix24 shows the page in its iframe
 * (reference/bitrix24.md 0); frame-ancestors names the portal instead. The API is same-origin
 * (connect-src 'self'); the QR code is a data: image. no-store and no-referrer because the page
 * embeds a bearer token.
 */
export function setSettingsPageHeaders(c: Context, nonce: string, frameAncestor: string): void {
  c.header(
    "Content-Security-Policy",
    [
      "default-src 'none'",
      // BX24.js comes from Bitrix24's own host and carries the nonce too
      `script-src 'nonce-${nonce}'${loadsBx24(frameAncestor) ? ` ${BX24_ORIGIN}` : ""}`,
      `style-src 'nonce-${nonce}'`,
      "img-src data:",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      `frame-ancestors ${frameAncestor}`,
    ].join("; "),
  );
  c.header("Cache-Control", "no-store");
  c.header("Referrer-Policy", "no-referrer");
  c.header("X-Content-Type-Options", "nosniff");
}

const UNSAFE_IN_SCRIPT = /[<>&\u2028\u2029]/g;

/**
 * JSON for a `<script type="application/json">` block. The HTML parser ends a script element at
 * `</script` whatever the JSON means, and entities are not decoded inside it, so HTML escaping
 * is wrong here: `<`, `>` and `&` become \u escapes, which JSON.parse reads back unchanged.
 */
export function embedJson(value: unknown): ReturnType<typeof raw> {
  const text = JSON.stringify(value).replace(UNSAFE_IN_SCRIPT, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return raw(text);
}
