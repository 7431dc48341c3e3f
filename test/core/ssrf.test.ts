import { describe, expect, it } from "vitest";
import { assertPublicUrl, isBlockedAddress } from "../../app/core/ssrf.js";

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

  /**
   * Every address literal through both checks: the URL guard and the connect-time guard
   * (worker/node-fetch.ts resolves names and classifies each address with isBlockedAddress).
   */
  describe.each([
    // public unicast
    ["8.8.8.8", "public IPv4", true],
    ["93.184.215.14", "public IPv4", true],
    ["2a00:1450:4010:c05::64", "public IPv6", true],
    ["2606:4700:4700::1111", "public IPv6", true],
    ["::ffff:8.8.8.8", "v4-mapped public IPv4", true],
    ["2002:808:808::1", "6to4 of public 8.8.8.8", true],
    ["2001:0:4136:e378:8000:63bf:f7f7:f7f7", "Teredo, public server 65.54.227.120 and client 8.8.8.8", true],
    ["64:ff9b::808:808", "NAT64 of public 8.8.8.8", true],
    // IPv4 ranges
    ["10.0.0.1", "private", false],
    ["127.0.0.1", "loopback", false],
    ["169.254.169.254", "link-local", false],
    ["100.64.0.1", "carrier-grade NAT", false],
    ["0.0.0.0", "unspecified", false],
    ["255.255.255.255", "broadcast", false],
    ["224.0.0.1", "multicast", false],
    ["192.0.2.1", "reserved (TEST-NET-1)", false],
    ["198.18.0.1", "reserved (benchmarking)", false],
    ["240.0.0.1", "reserved (class E)", false],
    ["192.88.99.1", "reserved (6to4 relay anycast)", false],
    ["192.175.48.1", "as112", false],
    ["192.52.193.1", "amt", false],
    // IPv6 ranges
    ["::", "unspecified", false],
    ["::1", "loopback", false],
    ["fe80::1", "link-local", false],
    ["fd00::1", "unique local", false],
    ["fec0::1", "deprecated site-local", false],
    ["ff02::1", "multicast", false],
    ["100::1", "discard prefix 100::/64", false],
    ["2001:2::1", "benchmarking", false],
    ["2001:3::1", "amt", false],
    ["2001:4:112::1", "as112v6", false],
    ["2001:10::1", "deprecated ORCHID", false],
    ["2001:20::1", "orchid2", false],
    ["2001:db8::1", "documentation", false],
    ["5f00::1", "segment routing", false],
    ["4000::1", "outside 2000::/3", false],
    ["::7f00:1", "IPv4-compatible 127.0.0.1", false],
    ["::8.8.8.8", "IPv4-compatible (deprecated, even of a public address)", false],
    ["::ffff:10.0.0.1", "v4-mapped private", false],
    ["::ffff:0:a00:1", "RFC 6145 translated", false],
    // IPv4 embedded in transition forms
    ["2002:a00:1::", "6to4 of 10.0.0.1", false],
    ["2002:7f00:1::", "6to4 of 127.0.0.1", false],
    ["2002:a9fe:a9fe::1", "6to4 of 169.254.169.254", false],
    ["2001:0:4136:e378:8000:63bf:f5ff:fffe", "Teredo with client 10.0.0.1", false],
    ["2001:0:a00:1:8000:63bf:f7f7:f7f7", "Teredo with server 10.0.0.1", false],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo with client 192.0.2.45 (RFC 4380 example)", false],
    ["64:ff9b::a00:1", "NAT64 of 10.0.0.1", false],
    ["64:ff9b::7f00:1", "NAT64 of 127.0.0.1", false],
    ["64:ff9b:1::808:808", "local-use NAT64 (RFC 8215)", false],
    // dotted IPv4 tails: not mistaken for v4-mapped
    ["64:ff9b::10.0.0.1", "NAT64 of 10.0.0.1, dotted", false],
    ["64:ff9b::8.8.8.8", "NAT64 of public 8.8.8.8, dotted", true],
    ["::ffff:169.254.169.254", "v4-mapped link-local, dotted", false],
  ])("%s (%s)", (address, _what, allowed) => {
    const url = `http://${address.includes(":") ? `[${address}]` : address}/x`;
    it(allowed ? "is allowed" : "is refused", () => {
      if (allowed) expect(assertPublicUrl(url, strict).pathname).toBe("/x");
      else expect(() => assertPublicUrl(url, strict)).toThrow(/private/);
      expect(isBlockedAddress(address, strict)).toBe(!allowed);
    });
  });

  it("an unparsable resolved address is refused", () => {
    expect(isBlockedAddress("not-an-address", strict)).toBe(true);
    expect(isBlockedAddress("", strict)).toBe(true);
  });

  it("OUTBOUND_ALLOW_LOOPBACK lets loopback through, and only loopback", () => {
    const loose = { allowLoopback: true };
    expect(assertPublicUrl("http://127.0.0.1:1234/x", loose).port).toBe("1234");
    expect(assertPublicUrl("http://localhost:1234/x", loose).hostname).toBe("localhost");
    expect(assertPublicUrl("http://[::1]:1234/x", loose).port).toBe("1234");
    expect(() => assertPublicUrl("http://10.0.0.1/", loose)).toThrow(/private/);
    expect(() => assertPublicUrl("http://169.254.169.254/", loose)).toThrow(/private/);
    expect(assertPublicUrl("http://[::ffff:127.0.0.1]/", loose).hostname).toBe("[::ffff:7f00:1]");
    expect(isBlockedAddress("127.0.0.1", loose)).toBe(false);
    expect(isBlockedAddress("::1", loose)).toBe(false);
    // a tunnel form is not this host's loopback: it leaves through a relay
    expect(() => assertPublicUrl("http://[2002:7f00:1::]/", loose)).toThrow(/private/);
    expect(() => assertPublicUrl("http://[64:ff9b::7f00:1]/", loose)).toThrow(/private/);
    expect(() => assertPublicUrl("http://[::ffff:10.0.0.1]/", loose)).toThrow(/private/);
  });

  it("names the field in the error", () => {
    expect(() => assertPublicUrl("http://10.0.0.1/", strict, "body")).toThrow(/^body: /);
  });
});
