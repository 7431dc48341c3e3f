import { bytesToBase64Url, bytesToHex, utf8 } from "./encoding.js";

/** URL-safe random token; 24 bytes = 192 bits (the design asks for at least 128). */
export function generateToken(bytes = 24): string {
  if (bytes < 16) throw new Error("tokens must carry at least 128 bits");
  return bytesToBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** Tokens are stored as their SHA-256 (hex) and looked up by it; the token itself is never stored in clear. */
export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", utf8.encode(token));
  return bytesToHex(new Uint8Array(digest));
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
