import { Hono } from "hono";
import { z } from "zod";
import contactExists from "../../app/providers/wappi/fixtures/contact-check-exists.json";
import getStatus from "../../app/providers/wappi/fixtures/get-status.json";
import webhookSet from "../../app/providers/wappi/fixtures/webhook-set.json";
import { type FakeServer, startFake } from "../../test/support/fake-server.js";
import { Arrivals } from "./arrivals.js";

/** The profile of every bench channel: Wappi's own webhook fixtures carry it. */
export const BENCH_WAPPI_PROFILE = "6qw54f68-71eq";
export const BENCH_WAPPI_TOKEN = "bench-wappi-token-0123456789";

const sendBody = z.object({ body: z.string(), recipient: z.string() });

export interface FakeProvider extends FakeServer {
  /** every text sent through `sync/message/send`, keyed by the text (the bench makes each unique) */
  sends: Arrivals;
  /** requests the fake has no route for, or refused: a bench that sees these measured something else */
  unexpected: string[];
}

/**
 * A Wappi account that answers at once (reference/providers.md 2: raw token in Authorization,
 * `profile_id` in the query, JSON bodies), with a fresh `message_id` per send so status updates
 * of different messages never collide. It counts what it receives instead of checking the wire
 * format in detail: the contract suite does that (test/providers/wappi).
 */
export async function startFakeProvider(): Promise<FakeProvider> {
  const sends = new Arrivals();
  const unexpected: string[] = [];
  let serial = 0;
  const app = new Hono();
  app.use("*", async (c, next) => {
    if (c.req.header("authorization") !== BENCH_WAPPI_TOKEN || c.req.query("profile_id") !== BENCH_WAPPI_PROFILE) {
      unexpected.push(`${c.req.method} ${c.req.path}: wrong token or profile_id`);
      return c.json({ status: "error", detail: "Invalid token" }, 401);
    }
    await next();
  });
  app.post("/api/sync/message/send", async (c) => {
    const body = sendBody.safeParse(await c.req.json().catch(() => null));
    if (!body.success) {
      unexpected.push(`send without body/recipient`);
      return c.json({ status: "error", detail: "body and recipient are required" }, 400);
    }
    sends.record(body.data.body);
    serial += 1;
    return c.json({ status: "done", message_id: `BENCH${serial.toString(16).toUpperCase().padStart(15, "0")}`, task_id: crypto.randomUUID() });
  });
  app.get("/api/sync/get/status", (c) => c.json(getStatus));
  app.get("/api/sync/contact/check", (c) => c.json(contactExists));
  app.post("/api/webhook/url/set", (c) => c.json(webhookSet));
  app.post("/api/webhook/types/set", (c) => c.json(webhookSet));
  app.notFound((c) => {
    unexpected.push(`${c.req.method} ${c.req.path}: no such route in the fake`);
    return c.json({ status: "error", detail: "not found" }, 404);
  });
  const server = await startFake(app);
  return { ...server, sends, unexpected };
}
