import { describe, expect, it } from "vitest";
import { generateToken, hashToken, timingSafeEqual } from "../../app/core/tokens.js";

describe("tokens", () => {
  it("are URL-safe and carry at least 128 bits", () => {
    const t = generateToken();
    expect(t).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(t.length).toBeGreaterThanOrEqual(32); // 24 bytes -> 32 base64url chars
    expect(() => generateToken(8)).toThrow(/128 bits/);
  });

  it("do not repeat", () => {
    const seen = new Set(Array.from({ length: 1000 }, () => generateToken()));
    expect(seen.size).toBe(1000);
  });

  it("hash to the SHA-256 hex digest", async () => {
    expect(await hashToken("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(await hashToken("abc")).toBe(await hashToken("abc"));
    expect(await hashToken("abd")).not.toBe(await hashToken("abc"));
  });

  it("compare equal strings equal and everything else unequal", () => {
    expect(timingSafeEqual("secret", "secret")).toBe(true);
    expect(timingSafeEqual("secret", "secreT")).toBe(false);
    expect(timingSafeEqual("secret", "secret1")).toBe(false);
    expect(timingSafeEqual("", "")).toBe(true);
    expect(timingSafeEqual("", "a")).toBe(false);
    expect(timingSafeEqual("пароль", "пароль")).toBe(true);
  });
});
