import { describe, expect, it } from "vitest";
import { createKeyring, generateEncryptionKey, KeyringError, parseKeySpec } from "../../app/core/secrets.js";

describe("secrets at rest", () => {
  it("round-trips and never stores the plaintext", async () => {
    const ring = await createKeyring(generateEncryptionKey());
    const stored = await ring.encrypt("wappi-token-123");
    expect(stored).toMatch(/^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(stored).not.toContain("wappi-token-123");
    expect(await ring.decrypt(stored)).toBe("wappi-token-123");
    expect(await ring.encrypt("same")).not.toBe(await ring.encrypt("same"));
  });

  it("binds a value to its context", async () => {
    const ring = await createKeyring(generateEncryptionKey());
    const stored = await ring.encrypt("secret", "channel:1");
    expect(await ring.decrypt(stored, "channel:1")).toBe("secret");
    await expect(ring.decrypt(stored, "channel:2")).rejects.toThrow(KeyringError);
  });

  it("detects tampering", async () => {
    const ring = await createKeyring(generateEncryptionKey());
    const stored = await ring.encrypt("secret");
    const parts = stored.split(".");
    const ct = parts[3]!;
    parts[3] = (ct[0] === "A" ? "B" : "A") + ct.slice(1);
    await expect(ring.decrypt(parts.join("."))).rejects.toThrow(/tampered/);
    await expect(ring.decrypt("plain text")).rejects.toThrow(/not an encrypted value/);
  });

  it("rotates: the new key encrypts, the old key still decrypts, needsRotation says which", async () => {
    const oldKey = generateEncryptionKey();
    const newKey = generateEncryptionKey();
    const before = await createKeyring(oldKey);
    const stored = await before.encrypt("credentials");

    const after = await createKeyring(`${newKey},${oldKey}`);
    expect(after.currentKeyId).not.toBe(before.currentKeyId);
    expect(await after.decrypt(stored)).toBe("credentials");
    expect(after.needsRotation(stored)).toBe(true);
    const reencrypted = await after.encrypt(await after.decrypt(stored));
    expect(after.needsRotation(reencrypted)).toBe(false);

    const dropped = await createKeyring(newKey);
    await expect(dropped.decrypt(stored)).rejects.toThrow(/not in ENCRYPTION_KEY/);
  });

  it("accepts named keys", async () => {
    const ring = await createKeyring(`k2:${generateEncryptionKey()},k1:${generateEncryptionKey()}`);
    expect(ring.currentKeyId).toBe("k2");
    expect((await ring.encrypt("x")).startsWith("v1.k2.")).toBe(true);
  });

  it("rejects malformed key specs with a precise message", () => {
    expect(() => parseKeySpec("")).toThrow(/no key/);
    expect(() => parseKeySpec("not base64!!")).toThrow(/key #1 is not base64/);
    expect(() => parseKeySpec(`${generateEncryptionKey()},c2hvcnQ`)).toThrow(/key #2 must be 32 bytes/);
  });
});
