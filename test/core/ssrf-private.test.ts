import { describe, expect, it } from "vitest";
import { configWarnings, loadConfig } from "../../app/config.js";
import { assertPublicUrl, isBlockedAddress, outboundPolicy } from "../../app/core/ssrf.js";
import { guardedFetch } from "../../worker/node-fetch.js";
import { TEST_ENCRYPTION_KEY } from "../support/deps.js";

const strict = { allowLoopback: false };
const privateOk = { allowLoopback: false, allowPrivate: true };

/** OUTBOUND_ALLOW_PRIVATE: a self-hosted WAHA / Evolution API on the private network next to chatbridge. */
describe("SSRF guard: OUTBOUND_ALLOW_PRIVATE", () => {
  it.each([
    ["http://10.0.0.5:3000/api/sessions", "10.0.0.5"],
    ["http://172.16.0.1/", "172.16.0.1"],
    ["http://192.168.1.20:3000/", "192.168.1.20"],
    ["http://[fd00::1]:3000/", "fd00::1"],
    ["http://[::ffff:10.0.0.1]/", "::ffff:10.0.0.1"],
  ])("lets %s through, and its address at connect time", (url, address) => {
    expect(() => assertPublicUrl(url, strict)).toThrow(/private/);
    expect(assertPublicUrl(url, privateOk).protocol).toBe("http:");
    expect(isBlockedAddress(address, strict)).toBe(true);
    expect(isBlockedAddress(address, privateOk)).toBe(false);
  });

  it("lets container and intranet names through to the connect-time check", () => {
    for (const url of ["http://waha:3000/", "http://evolution-api:8080/", "http://waha.internal/", "http://gw.local/"]) {
      expect(() => assertPublicUrl(url, strict)).toThrow(/private/);
      expect(assertPublicUrl(url, privateOk).hostname).toBe(new URL(url).hostname);
    }
  });

  it.each([
    ["http://127.0.0.1/", "127.0.0.1", "loopback"],
    ["http://[::1]/", "::1", "IPv6 loopback"],
    ["http://169.254.169.254/latest/meta-data", "169.254.169.254", "link-local (cloud metadata)"],
    ["http://[fe80::1]/", "fe80::1", "IPv6 link-local"],
    ["http://100.100.100.200/", "100.100.100.200", "carrier-grade NAT (Alibaba metadata)"],
    ["http://0.0.0.0/", "0.0.0.0", "unspecified"],
    ["http://224.0.0.1/", "224.0.0.1", "multicast"],
    ["http://[2002:a00:1::]/", "2002:a00:1::", "6to4 of 10.0.0.1 (leaves through a relay)"],
    ["http://[64:ff9b::a00:1]/", "64:ff9b::a00:1", "NAT64 of 10.0.0.1"],
  ])("still refuses %s (%s, %s)", (url, address) => {
    expect(() => assertPublicUrl(url, privateOk)).toThrow(/private/);
    expect(isBlockedAddress(address, privateOk)).toBe(true);
  });

  it("localhost names stay under the loopback switch alone", () => {
    for (const url of ["http://localhost:3000/", "http://waha.localhost/", "http://localhost./"]) {
      expect(() => assertPublicUrl(url, privateOk)).toThrow(/private/);
    }
    expect(assertPublicUrl("http://localhost:3000/", { allowLoopback: true, allowPrivate: true }).port).toBe("3000");
  });

  it("the loopback switch alone does not open private addresses", () => {
    const loopbackOnly = { allowLoopback: true, allowPrivate: false };
    expect(() => assertPublicUrl("http://10.0.0.1/", loopbackOnly)).toThrow(/private/);
    expect(() => assertPublicUrl("http://waha:3000/", loopbackOnly)).toThrow(/private/);
  });

  it("is read from the environment, off by default, with a warning when on", () => {
    const base = { ENCRYPTION_KEY: TEST_ENCRYPTION_KEY };
    const off = loadConfig(base, "node");
    expect(off.OUTBOUND_ALLOW_PRIVATE).toBe(false);
    expect(outboundPolicy(off)).toEqual({ allowLoopback: false, allowPrivate: false });
    expect(configWarnings(off).some((w) => w.includes("OUTBOUND_ALLOW_PRIVATE"))).toBe(false);

    const on = loadConfig({ ...base, OUTBOUND_ALLOW_PRIVATE: "true" }, "node");
    expect(outboundPolicy(on)).toEqual({ allowLoopback: false, allowPrivate: true });
    expect(configWarnings(on).some((w) => w.startsWith("OUTBOUND_ALLOW_PRIVATE=true"))).toBe(true);
  });

  it("Node's connect-time guard follows the same policy (worker/node.ts passes outboundPolicy(config))", async () => {
    const calls: string[] = [];
    const transport = (async (input: RequestInfo | URL) => {
      calls.push(input.toString());
      return new Response("ok");
    }) as typeof fetch;
    const open = guardedFetch(privateOk, transport);
    expect(await (await open("http://10.0.0.5:3000/api/sessions")).text()).toBe("ok");
    await expect(open("http://169.254.169.254/latest")).rejects.toThrow(/private address/);
    await expect(open("http://127.0.0.1:3000/")).rejects.toThrow(/private address/);
    await expect(guardedFetch(strict, transport)("http://10.0.0.5:3000/api/sessions")).rejects.toThrow(/private address/);
    expect(calls).toEqual(["http://10.0.0.5:3000/api/sessions"]);
  });
});
