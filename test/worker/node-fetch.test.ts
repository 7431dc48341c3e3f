import { describe, expect, it } from "vitest";
import { isBlockedAddress } from "../../app/core/ssrf.js";
import { guardedFetch } from "../../worker/node-fetch.js";

describe("Node's resolving SSRF guard", () => {
  const calls: string[] = [];
  const base = (async (input: RequestInfo | URL) => {
    calls.push(input.toString());
    return new Response("ok");
  }) as typeof fetch;

  it("refuses a name that resolves to a loopback address before connecting", async () => {
    calls.length = 0;
    const f = guardedFetch({ allowLoopback: false }, base);
    await expect(f("http://localhost:9/x")).rejects.toThrow(/resolves to .*private address/);
    await expect(f("http://127.0.0.1:9/x")).rejects.toThrow(/private address/);
    expect(calls).toEqual([]);
  });

  it("lets loopback through only when OUTBOUND_ALLOW_LOOPBACK is on", async () => {
    calls.length = 0;
    const f = guardedFetch({ allowLoopback: true }, base);
    expect(await (await f("http://localhost:9/x")).text()).toBe("ok");
    expect(calls).toEqual(["http://localhost:9/x"]);
  });

  it.each([
    ["10.1.2.3", true],
    ["169.254.169.254", true],
    ["192.168.0.1", true],
    ["::1", true],
    ["fe80::1", true],
    ["::ffff:10.0.0.1", true],
    ["8.8.8.8", false],
    ["2a00:1450:4010:c05::64", false],
  ])("classifies %s (blocked: %s)", (address, blocked) => {
    expect(isBlockedAddress(address, { allowLoopback: false })).toBe(blocked);
  });
});
