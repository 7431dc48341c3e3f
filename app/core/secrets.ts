import { base64ToBytes, bytesToBase64Url, bytesToHex, utf8 } from "./encoding.js";

/**
 * Secrets at rest: AES-256-GCM through WebCrypto. ENCRYPTION_KEY holds one or more keys,
 * comma-separated, newest first: `[id:]base64key[,[id:]base64key...]`. New values are
 * encrypted with the first key; any listed key decrypts. To rotate, put a new key in front,
 * deploy, re-encrypt (needsRotation tells which values), then drop the old key.
 *
 * Stored form: `v1.<keyId>.<iv>.<ciphertext+tag>` (base64url). The key id is stored beside the
 * ciphertext so a value always names the key it needs. An optional context string is bound as
 * AAD, so a ciphertext copied into another row (another channel's credentials) fails to open.
 */
export interface Keyring {
  readonly currentKeyId: string;
  encrypt(plaintext: string, context?: string): Promise<string>;
  decrypt(stored: string, context?: string): Promise<string>;
  needsRotation(stored: string): boolean;
}

export class KeyringError extends Error {
  override readonly name = "KeyringError";
}

interface KeyEntry {
  id: string;
  key: CryptoKey;
}

export function generateEncryptionKey(): string {
  return bytesToBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/** Parses ENCRYPTION_KEY without importing it: used by config validation to name a bad key early. */
export function parseKeySpec(spec: string): Array<{ id?: string; bytes: Uint8Array<ArrayBuffer> }> {
  const parts = spec
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new KeyringError("no key given");
  return parts.map((part, i) => {
    const m = /^([A-Za-z0-9_-]{1,32}):(.+)$/.exec(part);
    const id = m?.[1];
    const material = m?.[2] ?? part;
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = base64ToBytes(material);
    } catch {
      throw new KeyringError(`key #${i + 1} is not base64`);
    }
    if (bytes.length !== 32) {
      throw new KeyringError(`key #${i + 1} must be 32 bytes (base64 of 32 random bytes), got ${bytes.length}`);
    }
    return id === undefined ? { bytes } : { id, bytes };
  });
}

export async function createKeyring(spec: string): Promise<Keyring> {
  const entries: KeyEntry[] = [];
  for (const { id, bytes } of parseKeySpec(spec)) {
    const keyId = id ?? bytesToHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))).slice(0, 8);
    if (entries.some((e) => e.id === keyId)) throw new KeyringError(`duplicate key id ${keyId}`);
    const key = await crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]);
    entries.push({ id: keyId, key });
  }
  const current = entries[0]!;
  const byId = new Map(entries.map((e) => [e.id, e.key]));

  return {
    currentKeyId: current.id,
    async encrypt(plaintext, context = "") {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ct = await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: utf8.encode(context) },
        current.key,
        utf8.encode(plaintext),
      );
      return `v1.${current.id}.${bytesToBase64Url(iv)}.${bytesToBase64Url(new Uint8Array(ct))}`;
    },
    async decrypt(stored, context = "") {
      const parts = stored.split(".");
      if (parts.length !== 4 || parts[0] !== "v1") throw new KeyringError("not an encrypted value");
      const key = byId.get(parts[1]!);
      if (!key) throw new KeyringError(`value was encrypted with key ${parts[1]}, which is not in ENCRYPTION_KEY`);
      try {
        const pt = await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: base64ToBytes(parts[2]!), additionalData: utf8.encode(context) },
          key,
          base64ToBytes(parts[3]!),
        );
        return utf8.decode(new Uint8Array(pt));
      } catch {
        throw new KeyringError("value cannot be decrypted (tampered, or bound to another context)");
      }
    },
    needsRotation(stored) {
      return stored.split(".")[1] !== current.id;
    },
  };
}
