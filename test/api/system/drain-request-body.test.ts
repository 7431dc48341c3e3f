import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { drainRequestBody } from "../../../app/api/system/drain-request-body.js";

/**
 * The in-process half of the socket-close fix (the real-server half: test/fuzz/socket-close.test.ts):
 * a body the route left unread is read to its end, and one too large to drain closes the connection.
 */
describe("drainRequestBody", () => {
  const app = new Hono().use(drainRequestBody).post("/early", (c) => c.json({ ok: false }, 400)).post("/reads", async (c) => c.json({ got: (await c.req.text()).length }));

  it("reads what an early answer left unread, and keeps the connection", async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        if (pulled > 4) controller.close();
        else controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    const res = await app.request("/early", { method: "POST", body, duplex: "half" } as RequestInit);
    expect(res.status).toBe(400);
    expect(pulled).toBe(5);
    expect(res.headers.get("connection")).toBeNull();
  });

  it("leaves a body the route read alone", async () => {
    const res = await app.request("/reads", { method: "POST", body: "abc" });
    expect(await res.json()).toEqual({ got: 3 });
    expect(res.headers.get("connection")).toBeNull();
  });

  it("answers a body announced larger than it drains with Connection: close", async () => {
    const res = await app.request("/early", { method: "POST", headers: { "content-length": String(64 * 1024 * 1024) }, body: "x" });
    expect(res.status).toBe(400);
    expect(res.headers.get("connection")).toBe("close");
  });
});
