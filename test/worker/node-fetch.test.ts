import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { isBlockedAddress } from "../../app/core/ssrf.js";
import { guardedFetch, guardedLookup, pinnedFetch } from "../../worker/node-fetch.js";
import { startFake } from "../support/fake-server.js";

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

describe("Node's fetch resolves each connection through the guard (no DNS-rebinding window)", () => {
  it("guardedLookup refuses a name whose addresses include a private one, at connect time", async () => {
    const lookupFn = guardedLookup({ allowLoopback: false });
    const result = await new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((resolve) =>
      lookupFn("localhost", { all: true }, (err, address) => resolve({ err, address })),
    );
    expect(result.err?.code).toBe("ESSRF");
    expect(result.err?.message).toMatch(/private address/);
  });

  it("guardedLookup answers in the shape the socket asked for when the address is allowed", async () => {
    const lookupFn = guardedLookup({ allowLoopback: true });
    const single = await new Promise<{ err: unknown; address: unknown; family: unknown }>((resolve) =>
      lookupFn("localhost", { family: 4 }, (err, address, family) => resolve({ err, address, family })),
    );
    expect(single).toEqual({ err: null, address: "127.0.0.1", family: 4 });
    const all = await new Promise<unknown>((resolve) => lookupFn("localhost", { all: true, family: 4 }, (_err, address) => resolve(address)));
    expect(all).toEqual([{ address: "127.0.0.1", family: 4 }]);
  });

  it("the real pinned fetch reaches an allowed loopback server and is refused one when loopback is not allowed", async () => {
    const server = await startFake(new Hono().get("/ping", (c) => c.text("pong")));
    try {
      const port = new URL(server.url).port;
      expect(await (await guardedFetch({ allowLoopback: true })(`http://localhost:${port}/ping`)).text()).toBe("pong");
      await expect(guardedFetch({ allowLoopback: false })(`http://localhost:${port}/ping`)).rejects.toThrow(/private address/);
      // the connection's own lookup refuses too, without the pre-check (what a re-resolving name would meet)
      const refused = await pinnedFetch({ allowLoopback: false })(`http://localhost:${port}/ping`).then(
        () => undefined,
        (err: unknown) => err as Error & { cause?: { code?: string } },
      );
      expect(refused?.cause?.code).toBe("ESSRF");
    } finally {
      await server.close();
    }
  });
});

describe("the pinned fetch sends what app/ gives it", () => {
  it("a FormData body goes out as multipart with its boundary (undici's fetch does not know Node's FormData)", async () => {
    const server = await startFake(
      new Hono().post("/upload", async (c) => {
        const form = await c.req.formData();
        const file = form.get("file");
        return c.json({ type: c.req.header("content-type")?.split(";")[0], to: form.get("to"), size: file instanceof File ? file.size : null });
      }),
    );
    try {
      const form = new FormData();
      form.set("to", "79115576366");
      form.set("file", new Blob([new Uint8Array(1234)], { type: "image/png" }), "a.png");
      const res = await pinnedFetch({ allowLoopback: true })(`${server.url}/upload`, { method: "POST", body: form, headers: { "x-trace": "1" } });
      expect(await res.json()).toEqual({ type: "multipart/form-data", to: "79115576366", size: 1234 });
    } finally {
      await server.close();
    }
  });
});
