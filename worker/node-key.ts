import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateEncryptionKey } from "../app/core/secrets.js";

/**
 * On Node without ENCRYPTION_KEY, the key is generated once into DATA_DIR/encryption.key and
 * reused on every start. Losing that file makes stored credentials unreadable, so the notice
 * says to back it up (or to set ENCRYPTION_KEY explicitly).
 */
export function ensureLocalEncryptionKey(dataDir: string, notify: (msg: string) => void): string {
  const file = join(dataDir, "encryption.key");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dataDir, { recursive: true });
  const key = generateEncryptionKey();
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
  notify(
    `ENCRYPTION_KEY was not set: generated a new key into ${file}. Back this file up with the database; ` +
      "without it stored credentials cannot be decrypted. Set ENCRYPTION_KEY to manage the key yourself.",
  );
  return key;
}
