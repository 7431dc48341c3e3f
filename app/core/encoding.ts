/** Byte encodings on top of Web APIs only (no Buffer), so they run the same on Workers. */

export function bytesToBase64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

export function bytesToBase64Url(bytes: Uint8Array): string {
  return bytesToBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Accepts standard and URL-safe base64, with or without padding; throws on anything else. */
export function base64ToBytes(input: string): Uint8Array<ArrayBuffer> {
  const s = input.trim().replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new Error("not base64");
  const bare = s.replace(/=+$/, "");
  if (bare.length % 4 === 1) throw new Error("not base64");
  const bin = atob(bare + "=".repeat((4 - (bare.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

export const utf8 = {
  encode: (s: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(s) as Uint8Array<ArrayBuffer>,
  decode: (b: Uint8Array): string => new TextDecoder().decode(b),
};
