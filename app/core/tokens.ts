// node:crypto runs on Node and on Workers under nodejs_compat (wrangler.toml), as amojo's MD5 does
import { createHash } from "node:crypto";
import { bytesToBase64Url, utf8 } from "./encoding.js";

/** URL-safe random token; 24 bytes = 192 bits (the design asks for at least 128). */
export function generateToken(bytes = 24): string {
  if (bytes < 16) throw new Error("tokens must carry at least 128 bits");
  return bytesToBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/**
 * Tokens are stored as their SHA-256 (hex) and looked up by it; the token itself is never
 * stored in clear. Hashed synchronously with node:crypto: every webhook API call and provider
 * webhook hashes its token, and WebCrypto's digest went through the thread pool each time (7%
 * of a sendText's CPU in the load bench's profile).
 */
export async function hashToken(token: string): Promise<string> {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/**
 * Compares two strings without an early exit, so the time taken does not reveal how much of
 * a guessed secret was right. The length still shows; secrets compared here are fixed-length
 * tokens or hashes.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  const len = Math.max(x.length, y.length);
  let diff = x.length ^ y.length;
  for (let i = 0; i < len; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
