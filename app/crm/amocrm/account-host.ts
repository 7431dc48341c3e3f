import { AmoCrmError } from "./errors.js";

/** Where an account lives: its host, the base of REST v4 and /oauth2, and which platform it is on. */
export interface AccountHost {
  /** `example.amocrm.ru`, `example.kommo.com`, or `127.0.0.1:<port>` for a loopback fake */
  host: string;
  /** `https://example.amocrm.ru` (no trailing slash) */
  baseUrl: string;
  subdomain?: string;
  /** reference/amocrm.md 1.3: "1" amocrm.ru, "2" amocrm.com / kommo.com */
  platform: "1" | "2";
}

/**
 * 6.1: accounts live on `<subdomain>.amocrm.ru`, `<subdomain>.kommo.com` and the legacy
 * `<subdomain>.amocrm.com`; `www.` is the marketing site, never an account ("always call the
 * account's own host, never www."). Subdomains are DNS labels.
 */
const ACCOUNT_HOST = /^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\.(amocrm\.ru|amocrm\.com|kommo\.com)$/;
/** Loopback fakes (tests), only under OUTBOUND_ALLOW_LOOPBACK, always with an explicit port. */
const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost):(\d{1,5})$/;

/**
 * Reads the OAuth redirect's `referer` (1.3: the account host, e.g. `example.amocrm.ru`) into
 * the account's API base. A scheme-qualified value (`https://example.amocrm.ru/`) is accepted
 * too. Anything that is not an amoCRM/Kommo account host is refused (undefined): the code and
 * our client_secret are sent there, so the caller must not pick the host. Loopback hosts on
 * plain http only under `allowLoopback`.
 */
export function parseAccountHost(raw: string, allowLoopback: boolean): AccountHost | undefined {
  let value = raw.trim().toLowerCase();
  let scheme: "http" | "https" | undefined;
  const m = /^(https?):\/\/(.*)$/.exec(value);
  if (m) {
    scheme = m[1] === "http" ? "http" : "https";
    value = m[2]!.replace(/\/+$/, "");
  }
  const account = ACCOUNT_HOST.exec(value);
  if (account) {
    if (scheme === "http" || account[1] === "www") return undefined;
    return { host: value, baseUrl: `https://${value}`, subdomain: account[1]!, platform: account[2] === "amocrm.ru" ? "1" : "2" };
  }
  const loop = LOOPBACK_HOST.exec(value);
  if (loop && allowLoopback && scheme !== "https") {
    const port = Number(loop[2]);
    if (port < 1 || port > 65535) return undefined;
    return { host: value, baseUrl: `http://${value}`, platform: "1" };
  }
  return undefined;
}

/**
 * The stored base URL, checked again before a token is sent to it: a row written by an older
 * version or edited by hand must not make us send a Bearer token elsewhere.
 */
export function assertAccountBaseUrl(baseUrl: string, allowLoopback: boolean): AccountHost {
  const host = parseAccountHost(baseUrl, allowLoopback);
  if (!host || host.baseUrl !== baseUrl.replace(/\/+$/, "").toLowerCase()) {
    throw new AmoCrmError("invalid_account_host", `not an amoCRM account address: ${baseUrl}`);
  }
  return host;
}
