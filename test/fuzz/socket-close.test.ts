/**
 * "other side closed" after 4xx answers on the Bitrix24 handlers, over the real Node server.
 *
 * What happened: every /b24/* handler is mounted behind hono's bodyLimit, which looks at
 * `c.req.raw.body` to see whether there is a body at all. On @hono/node-server that creates the
 * request's web stream, whose first pull wraps the socket's IncomingMessage with
 * `Readable.toWeb`. The handler then answered 4xx without reading the body (a body over 1 MiB
 * by Content-Length, a wrong Content-Type, a forged auth[application_token] in a large form).
 * After the answer @hono/node-server tries to drain the unread body (listener.ts
 * `drainIncoming`: `incoming.resume()`, 500 ms, 64 MB), but the toWeb adapter pauses the
 * IncomingMessage again on every chunk because nobody reads its web stream, so the drain never
 * reaches the end, and after 500 ms the server calls `socket.destroySoon()` on a connection it
 * had just answered with `Connection: keep-alive`. undici has by then put the connection back
 * in its pool and sent the next request on it (or is still writing the body of this one): that
 * request fails with `SocketError: other side closed`. Not the client's keep-alive race: the
 * server advertised keep-alive and then closed the socket itself, and only after a body had
 * been left half-read (a plain route that never touches the body does not do it).
 *
 * The fix (app/api/system/drain-request-body.ts, mounted first in app/index.ts): after the
 * route has answered, a body it left unread is read to its end through the web stream (up to
 * 8 MiB within 2 s), so the connection is clean for the next request; a larger or slower body
 * gets `Connection: close` with the answer, so no client reuses that connection.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningNode, startNode } from "../../worker/node.js";
import { TEST_ENCRYPTION_KEY } from "../support/deps.js";

const ROUTES = ["/b24/install", "/b24/events", "/b24/robots/chatbridge_send", "/b24/sms", "/b24/app", "/b24/placement/connector"];
const FORM = "application/x-www-form-urlencoded";
const BODIES: Array<{ type: string; body: string }> = [
  { type: "text/plain", body: "x".repeat(2 * 1024 * 1024) },
  { type: FORM, body: `x=${"y".repeat(1_200_000)}` },
  { type: FORM, body: `auth[member_id]=forged&auth[application_token]=forged&event=ONIMCONNECTORMESSAGEADD&pad=${"p".repeat(300_000)}` },
  { type: "application/json", body: JSON.stringify({ auth: { member_id: "x" }, pad: "q".repeat(100_000) }) },
  { type: FORM, body: `a${"[b]".repeat(5000)}=1` },
  { type: "application/octet-stream", body: "\u00ff\u00fe" },
];
const REQUESTS = 180;

describe("keep-alive connections survive 4xx answers to unread bodies (real Node server)", () => {
  let node: RunningNode;
  let dir = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "chatbridge-socket-"));
    node = await startNode({ PORT: "0", DATA_DIR: dir, LOG_LEVEL: "silent", ENCRYPTION_KEY: TEST_ENCRYPTION_KEY });
  }, 180_000);
  afterAll(async () => {
    await node?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${REQUESTS} malformed requests over two keep-alive connections: every one answered 4xx, none fails at the socket`, async () => {
    const agent = new Agent({ connections: 2, keepAliveTimeout: 10_000 });
    const failures: string[] = [];
    const statuses = new Set<number>();
    let next = 0;
    const worker = async () => {
      while (next < REQUESTS) {
        const i = next++;
        const route = ROUTES[i % ROUTES.length]!;
        const { type, body } = BODIES[Math.floor(i / ROUTES.length) % BODIES.length]!;
        try {
          const res = await fetch(`${node.url}${route}`, { method: "POST", headers: { "content-type": type }, body, dispatcher: agent });
          await res.arrayBuffer();
          statuses.add(res.status);
        } catch (err) {
          const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
          failures.push(`${route} ${type} ${body.length} bytes: ${cause}`);
        }
      }
    };
    try {
      await Promise.all([worker(), worker(), worker(), worker()]);
    } finally {
      await agent.close();
    }
    expect(failures).toEqual([]);
    for (const status of statuses) expect(status).toBeGreaterThanOrEqual(400);
    for (const status of statuses) expect(status).toBeLessThan(500);
  });
});
