import { describe, expect, it } from "vitest";
import { assertPublicUrl } from "../../app/core/ssrf.js";

const strict = { allowLoopback: false };

describe("SSRF guard", () => {
  it.each([
    "https://example.com/file.pdf",
    "http://cdn.example.org:8080/a?b=c",
    "https://8.8.8.8/x",
    "https://[2a00:1450:4010:c05::64]/x",
  ])("allows %s", (url) => {
    expect(assertPublicUrl(url, strict).toString()).toBeTruthy();
  });

  it.each([
    ["ftp://example.com/x", /only http and https/],
    ["file:///etc/passwd", /only http and https/],
    ["not a url", /not a valid URL/],
    ["https://user:pw@example.com/", /credentials/],
    ["http://127.0.0.1/", /private/],
    ["http://127.1/", /private/],
    ["http://2130706433/", /private/],
    ["http://0x7f000001/", /private/],
    ["http://0177.0.0.1/", /private/],
    ["http://localhost:3000/", /private/],
    ["http://foo.localhost/", /private/],
    ["http://10.0.0.5/", /private/],
    ["http://172.16.0.1/", /private/],
    ["http://172.31.255.255/", /private/],
    ["http://192.168.1.1/", /private/],
    ["http://169.254.169.254/latest/meta-data", /private/],
    ["http://100.64.0.1/", /private/],
    ["http://0.0.0.0/", /private/],
    ["http://224.0.0.1/", /private/],
    ["http://[::1]/", /private/],
    ["http://[::ffff:127.0.0.1]/", /private/],
    ["http://[::ffff:a9fe:a9fe]/", /private/],
    ["http://[fd00::1]/", /private/],
    ["http://[fe80::1]/", /private/],
    ["http://intranet/", /private/],
    ["http://printer.local/", /private/],
    ["http://localhost./", /private/],
    ["http://metadata.google.internal./", /private/],
    ["http://intranet./", /private/],
    ["http://[::7f00:1]/", /private/],
    ["http://[::127.0.0.1]/", /private/],
    ["http://[::ffff:0:a00:1]/", /private/],
    ["http://[fec0::1]/", /private/],
  ])("rejects %s", (url, reason) => {
    expect(() => assertPublicUrl(url, strict)).toThrow(reason);
  });

  it("OUTBOUND_ALLOW_LOOPBACK lets loopback through, and only loopback", () => {
    const loose = { allowLoopback: true };
    expect(assertPublicUrl("http://127.0.0.1:1234/x", loose).port).toBe("1234");
    expect(assertPublicUrl("http://localhost:1234/x", loose).hostname).toBe("localhost");
    expect(assertPublicUrl("http://[::1]:1234/x", loose).port).toBe("1234");
    expect(() => assertPublicUrl("http://10.0.0.1/", loose)).toThrow(/private/);
    expect(() => assertPublicUrl("http://169.254.169.254/", loose)).toThrow(/private/);
  });

  it("names the field in the error", () => {
    expect(() => assertPublicUrl("http://10.0.0.1/", strict, "body")).toThrow(/^body: /);
  });
});
