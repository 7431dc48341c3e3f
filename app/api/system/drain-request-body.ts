import type { MiddlewareHandler } from "hono";

/** Unread bodies up to this size are read and dropped so the connection stays usable. */
const DRAIN_MAX_BYTES = 8 * 1024 * 1024;
/** A client that is slower than this gets its answer with `Connection: close` instead. */
const DRAIN_DEADLINE_MS = 2_000;

type DrainResult = "drained" | "too_large" | "too_slow";

async function readToEnd(body: ReadableStream<Uint8Array>): Promise<DrainResult> {
  const reader = body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"too_slow">((resolve) => {
    timer = setTimeout(() => resolve("too_slow"), DRAIN_DEADLINE_MS);
  });
  try {
    let size = 0;
    for (;;) {
      const step = await Promise.race([reader.read(), deadline]);
      if (step === "too_slow") return step;
      if (step.done) return "drained";
      size += step.value.byteLength;
      if (size > DRAIN_MAX_BYTES) return "too_large";
    }
  } catch {
    // the client went away mid-body: nothing left to keep alive
    return "drained";
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads what is left of a request body a route answered without reading (an error before
 * parsing, a body limit hit by Content-Length). On Node, once a route has opened the body
 * stream (hono's bodyLimit does, to check for one), @hono/node-server's own after-response
 * drain stalls: the stream adapter pauses the socket again on every chunk, and after 500 ms
 * the server destroys the keep-alive socket, so the client's next request on it fails with
 * "other side closed" (test/fuzz/socket-close.test.ts). Bodies too large or too slow to drain
 * get `Connection: close`, so the client does not reuse the connection.
 */
export const drainRequestBody: MiddlewareHandler = async (c, next) => {
  await next();
  const method = c.req.method;
  if (method === "GET" || method === "HEAD") return;
  const raw = c.req.raw;
  if (raw.bodyUsed) return;
  const declared = Number(c.req.header("content-length") ?? "NaN");
  if (declared > DRAIN_MAX_BYTES) {
    c.header("Connection", "close");
    return;
  }
  const body = raw.body;
  if (!body) return;
  const result = body.locked ? "too_large" : await readToEnd(body);
  if (result !== "drained") c.header("Connection", "close");
};
