import { bytesToBase64Url, utf8 } from "./encoding.js";
import { parseKeySpec } from "./secrets.js";
import { timingSafeEqual } from "./tokens.js";

/**
 * Where re-hosted media bytes live: R2 on Workers, DATA_DIR/files on Node, memory in tests.
 * The `files` table holds what the app knows about a file; the store holds only bytes + type.
 */
export interface FileStore {
  put(key: string, bytes: Uint8Array, opts: { mime: string }): Promise<void>;
  get(key: string): Promise<StoredFile | null>;
  delete(key: string): Promise<void>;
}

export interface StoredFile {
  body: ReadableStream<Uint8Array>;
  mime: string;
  size: number;
}

const STORAGE_KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

/**
 * Storage keys become R2 object names and, on Node, paths under DATA_DIR/files: only plain
 * segments are allowed (no "..", no leading dot or slash), so a key never escapes its folder.
 */
export function assertStorageKey(key: string): void {
  if (key.length > 512 || !STORAGE_KEY.test(key) || key.split("/").some((s) => s === "." || s === "..")) {
    throw new Error(`invalid file storage key: ${JSON.stringify(key)}`);
  }
}

// Derived once per ENCRYPTION_KEY entry; HKDF with its own label keeps the file-link key
// independent of the AES key that protects secrets at rest.
const signingKeys = new Map<string, Promise<CryptoKey>>();

function signingKey(material: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  const cacheKey = bytesToBase64Url(material);
  let key = signingKeys.get(cacheKey);
  if (!key) {
    key = (async () => {
      const base = await crypto.subtle.importKey("raw", material, "HKDF", false, ["deriveKey"]);
      return crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: utf8.encode("chatbridge file links v1") },
        base,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign"],
      );
    })();
    signingKeys.set(cacheKey, key);
  }
  return key;
}

async function mac(material: Uint8Array<ArrayBuffer>, fileId: string, expiresSec: number): Promise<string> {
  const key = await signingKey(material);
  const sig = await crypto.subtle.sign("HMAC", key, utf8.encode(`files:${fileId}:${expiresSec}`));
  return bytesToBase64Url(new Uint8Array(sig));
}

/**
 * A public link CRMs can download a file from without credentials:
 * `<publicUrl>/files/<id>/<expires>.<mac>`. The expiry (unix seconds) is part of the signed
 * text, so a link stops working at its own time even when the file is kept longer.
 * `encryptionKey` is the ENCRYPTION_KEY spec; links are signed with its current (first) key.
 */
export async function signFileUrl(publicUrl: string, fileId: string, expiresAt: Date, encryptionKey: string): Promise<string> {
  const [current] = parseKeySpec(encryptionKey);
  if (!current) throw new Error("ENCRYPTION_KEY holds no key");
  const expiresSec = Math.floor(expiresAt.getTime() / 1000);
  const signature = `${expiresSec}.${await mac(current.bytes, fileId, expiresSec)}`;
  return `${publicUrl.replace(/\/+$/, "")}/files/${encodeURIComponent(fileId)}/${signature}`;
}

/**
 * True when `signature` was made for this file id by any key in ENCRYPTION_KEY (links made
 * before a key rotation keep working until they expire) and its expiry is still ahead.
 */
export async function verifyFileSignature(fileId: string, signature: string, now: Date, encryptionKey: string): Promise<boolean> {
  const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(signature);
  if (!m) return false;
  const expiresSec = Number(m[1]);
  if (expiresSec * 1000 <= now.getTime()) return false;
  let ok = false;
  // Every key is tried, without stopping at a match, so timing does not tell which key signed.
  for (const { bytes } of parseKeySpec(encryptionKey)) {
    if (timingSafeEqual(await mac(bytes, fileId, expiresSec), m[2]!)) ok = true;
  }
  return ok;
}
