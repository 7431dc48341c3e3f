import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { utf8 } from "../../../app/core/encoding.js";
import { amojoBaseUrl } from "../../../app/crm/amocrm/amojo/channel-config.js";
import { amojoDate, signAmojoRequest, verifyHookSignature } from "../../../app/crm/amocrm/amojo/sign.js";
import { testConfig } from "../../support/deps.js";

const SECRET = "da39a3ee5e6b4b0d3255bfef95601890afd80709";

describe("amojo Content-MD5 (RFC 1321) of the exact body bytes", () => {
  const contentMd5 = async (body: Uint8Array<ArrayBuffer>) =>
    (await signAmojoRequest({ method: "POST", path: "/v2/origin/custom/s", body, secret: SECRET, at: new Date(0) }))["Content-MD5"];

  // RFC 1321 appendix A.5 test suite
  it.each([
    ["", "d41d8cd98f00b204e9800998ecf8427e"],
    ["a", "0cc175b9c0f1b6a831c399e269772661"],
    ["abc", "900150983cd24fb0d6963f7d28e17f72"],
    ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
    ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
    ["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"],
    ["12345678901234567890123456789012345678901234567890123456789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a"],
  ])("md5(%j) = %s", async (input, expected) => {
    expect(await contentMd5(utf8.encode(input))).toBe(expected);
  });

  it("multi-byte UTF-8 is hashed as its bytes", async () => {
    const text = "Привет, как дела? 👋 Ünïcödé";
    expect(await contentMd5(utf8.encode(text))).toBe(createHash("md5").update(text, "utf8").digest("hex"));
  });

  it("hashes only the view's bytes, not the rest of its buffer", async () => {
    const buffer = utf8.encode("xx{}yy");
    expect(await contentMd5(buffer.subarray(2, 4))).toBe(createHash("md5").update("{}").digest("hex"));
  });
});

describe("amojo request signing (reference/amocrm.md 2.4)", () => {
  const at = new Date(Date.UTC(2020, 9, 3, 15, 11, 21));

  it("Date is RFC 2822 with a numeric +0000 zone, not GMT (6.2 pitfall 3)", () => {
    expect(amojoDate(at)).toBe("Sat, 03 Oct 2020 15:11:21 +0000");
    expect(amojoDate(new Date(Date.UTC(2026, 0, 5, 3, 4, 5)))).toBe("Mon, 05 Jan 2026 03:04:05 +0000");
  });

  /** What the sheet's Python sketch computes, with node:crypto. */
  function expected(method: string, path: string, body: string) {
    const md5 = createHash("md5").update(body, "utf8").digest("hex");
    const date = amojoDate(at);
    const sig = createHmac("sha1", SECRET).update([method, md5, "application/json", date, path].join("\n")).digest("hex");
    return { Date: date, "Content-Type": "application/json", "Content-MD5": md5, "X-Signature": sig };
  }

  it.each([
    ["POST", "/v2/origin/custom/a4490ccc-5d7f-11e7-907b-a6006ad3dba0/connect", JSON.stringify({ account_id: "af9945ff-1490", title: "chatbridge", hook_api_version: "v2" })],
    ["POST", "/v2/origin/custom/scope_1", JSON.stringify({ event_type: "new_message", payload: { message: { type: "text", text: "Привет 👋" } } })],
    ["DELETE", "/v2/origin/custom/a4490ccc/disconnect", JSON.stringify({ account_id: "af9945ff" })],
    ["POST", "/v2/origin/custom/scope_1/8f1176d7/delivery_status", `${JSON.stringify({ status_code: 1 })}\n`],
    ["GET", "/v2/origin/custom/scope_1/chats/abc/history", ""],
  ])("%s %s matches the reference computation", async (method, path, body) => {
    const headers = await signAmojoRequest({ method: method as "GET" | "POST" | "DELETE", path, body: utf8.encode(body), secret: SECRET, at });
    expect(headers).toEqual(expected(method, path, body));
  });

  it("an empty GET body hashes to d41d8cd98f00b204e9800998ecf8427e and the query string is not signed (6.2 pitfall 4)", async () => {
    const headers = await signAmojoRequest({ method: "GET", path: "/v2/origin/custom/s/chats/c/history?offset=0&limit=50", body: new Uint8Array(0), secret: SECRET, at });
    expect(headers["Content-MD5"]).toBe("d41d8cd98f00b204e9800998ecf8427e");
    expect(headers).toEqual(expected("GET", "/v2/origin/custom/s/chats/c/history", ""));
  });

  it("a different secret, method or body gives a different signature", async () => {
    const base = { method: "POST" as const, path: "/v2/origin/custom/s", body: utf8.encode("{}"), secret: SECRET, at };
    const sig = (await signAmojoRequest(base))["X-Signature"];
    expect((await signAmojoRequest({ ...base, secret: "other" }))["X-Signature"]).not.toBe(sig);
    expect((await signAmojoRequest({ ...base, method: "DELETE" }))["X-Signature"]).not.toBe(sig);
    expect((await signAmojoRequest({ ...base, body: utf8.encode("{} ") }))["X-Signature"]).not.toBe(sig);
  });
});

describe("amojo hook signature (2.7)", () => {
  const raw = JSON.stringify({ account_id: "52e591f7", message: { message: { id: "1", type: "text", text: "Счёт" } } });
  const sign = (body: string, secret = SECRET) => createHmac("sha1", secret).update(body).digest("hex");

  it("accepts HMAC-SHA1 of the raw body, in either case", async () => {
    expect(await verifyHookSignature(SECRET, utf8.encode(raw), sign(raw))).toBe(true);
    expect(await verifyHookSignature(SECRET, utf8.encode(raw), sign(raw).toUpperCase())).toBe(true);
  });

  it("accepts a signature over the body without its trailing newline (one OSS client trims it, 2.7)", async () => {
    expect(await verifyHookSignature(SECRET, utf8.encode(`${raw}\n`), sign(raw))).toBe(true);
    expect(await verifyHookSignature(SECRET, utf8.encode(`${raw}\n`), sign(`${raw}\n`))).toBe(true);
  });

  it("refuses another secret, another body, a missing or malformed header", async () => {
    expect(await verifyHookSignature(SECRET, utf8.encode(raw), sign(raw, "wrong-secret"))).toBe(false);
    expect(await verifyHookSignature(SECRET, utf8.encode(`${raw} `), sign(raw))).toBe(false);
    expect(await verifyHookSignature(SECRET, utf8.encode(raw), undefined)).toBe(false);
    expect(await verifyHookSignature(SECRET, utf8.encode(raw), "not-hex")).toBe(false);
  });
});

describe("amojo hosts (2.1, 6.1)", () => {
  const config = testConfig({ AMOCRM_AMOJO_URL: "https://amojo.amocrm.ru", KOMMO_AMOJO_URL: "https://amojo.kommo.com" });
  it.each([
    ["example.amocrm.ru", "https://amojo.amocrm.ru"],
    ["example.kommo.com", "https://amojo.kommo.com"],
    ["example.amocrm.com", "https://amojo.kommo.com"],
  ])("%s -> %s", (domain, host) => {
    expect(amojoBaseUrl(config, { domain, settings: {} })).toBe(host);
  });

  it("a loopback account follows the platform its install recorded (1.3 `platform`)", () => {
    expect(amojoBaseUrl(config, { domain: "127.0.0.1:4000", settings: { baseUrl: "http://127.0.0.1:4000", platform: "2" } })).toBe("https://amojo.kommo.com");
    expect(amojoBaseUrl(config, { domain: "127.0.0.1:4000", settings: { baseUrl: "http://127.0.0.1:4000", platform: "1" } })).toBe("https://amojo.amocrm.ru");
  });
});
