// WebCrypto has no MD5; node:crypto has, on Node and on Workers under nodejs_compat (wrangler.toml)
import { createHash } from "node:crypto";
import { bytesToHex, utf8 } from "../../../core/encoding.js";
import { timingSafeEqual } from "../../../core/tokens.js";

/** 2.4: the only Content-Type amojo accepts; sent byte for byte as signed (no `; charset=`). */
export const AMOJO_CONTENT_TYPE = "application/json";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => String(n).padStart(2, "0");

/**
 * RFC 2822 date in UTC with a numeric zone, `Mon, 03 Oct 2020 15:11:21 +0000` (2.4). Not
 * `Date.toUTCString()`: that ends in `GMT`, which amojo is not known to accept (6.2 pitfall 3).
 */
export function amojoDate(at: Date): string {
  return `${DAYS[at.getUTCDay()]}, ${two(at.getUTCDate())} ${MONTHS[at.getUTCMonth()]} ${at.getUTCFullYear()} ${two(at.getUTCHours())}:${two(at.getUTCMinutes())}:${two(at.getUTCSeconds())} +0000`;
}

/** Lowercase hex HMAC-SHA1 (2.4 request signatures, 2.7 hook signatures) through WebCrypto. */
export async function hmacSha1Hex(secret: string, message: Uint8Array<ArrayBuffer>): Promise<string> {
  const key = await crypto.subtle.importKey("raw", utf8.encode(secret), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  return bytesToHex(new Uint8Array(await crypto.subtle.sign("HMAC", key, message)));
}

export interface AmojoRequestToSign {
  method: "GET" | "POST" | "DELETE";
  /** the request path (`/v2/origin/custom/...`); a query string is cut off, it is not signed (6.2 pitfall 4) */
  path: string;
  /** the exact bytes that will be sent: serialised once, never again after hashing (6.2 pitfall 2) */
  body: Uint8Array<ArrayBuffer>;
  secret: string;
  at: Date;
}

export interface AmojoSignedHeaders {
  Date: string;
  "Content-Type": string;
  "Content-MD5": string;
  "X-Signature": string;
}

/**
 * The four headers of a signed amojo request (2.4): `X-Signature` is HMAC-SHA1 with the channel
 * secret over METHOD, Content-MD5, Content-Type, Date and the path, joined with `\n` (no
 * trailing newline). An empty body hashes to d41d8cd98f00b204e9800998ecf8427e (GET).
 */
export async function signAmojoRequest(req: AmojoRequestToSign): Promise<AmojoSignedHeaders> {
  const contentMd5 = createHash("md5").update(req.body).digest("hex");
  const date = amojoDate(req.at);
  const path = req.path.split("?")[0]!;
  const stringToSign = [req.method.toUpperCase(), contentMd5, AMOJO_CONTENT_TYPE, date, path].join("\n");
  return {
    Date: date,
    "Content-Type": AMOJO_CONTENT_TYPE,
    "Content-MD5": contentMd5,
    "X-Signature": await hmacSha1Hex(req.secret, utf8.encode(stringToSign)),
  };
}

/**
 * Checks an outgoing hook's `X-Signature` (2.7): lowercase hex HMAC-SHA1 of the raw body with
 * the channel secret, compared in constant time. One open-source client hashes the body without
 * its trailing newline (2.7), so that variant is accepted too: both need the secret.
 */
export async function verifyHookSignature(secret: string, rawBody: Uint8Array<ArrayBuffer>, header: string | undefined): Promise<boolean> {
  const given = (header ?? "").trim().toLowerCase();
  if (!/^[0-9a-f]{40}$/.test(given)) return false;
  const exact = timingSafeEqual(given, await hmacSha1Hex(secret, rawBody));
  let end = rawBody.length;
  while (end > 0 && (rawBody[end - 1] === 0x0a || rawBody[end - 1] === 0x0d)) end--;
  if (end === rawBody.length) return exact;
  const trimmed = timingSafeEqual(given, await hmacSha1Hex(secret, rawBody.slice(0, end)));
  return exact || trimmed;
}
