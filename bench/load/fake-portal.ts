import { Hono } from "hono";
import { type BracketObject, type BracketValue, parseBracketForm } from "../../app/crm/bitrix24/bracket-form.js";
import { type FakeServer, startFake } from "../../test/support/fake-server.js";
import { Arrivals } from "./arrivals.js";

export interface FakePortal extends FakeServer {
  /** `host:port` the portal row's domain must equal (the session check compares it with DOMAIN) */
  host: string;
  /** texts posted by `imconnector.send.messages` (reference/bitrix24.md 3.6), keyed by text */
  messages: Arrivals;
  /** REST calls by method name, batch commands included */
  calls: Map<string, number>;
  unexpected: string[];
}

const asObject = (v: BracketValue | undefined): BracketObject => (typeof v === "object" && v !== null && !Array.isArray(v) ? v : {});
const asList = (v: BracketValue | undefined): BracketValue[] => (Array.isArray(v) ? v : typeof v === "object" && v !== null ? Object.values(v) : []);

/**
 * A Bitrix24 portal on loopback that accepts every call at once: REST methods at
 * `/rest/<method>.json` with form-encoded PHP-bracket bodies (reference/bitrix24.md 0, 2.4).
 * `profile` says the caller is an admin, so POST /api/session opens a session for the bench;
 * `batch` runs each command; `imconnector.send.messages` records each message's text and answers
 * with an Open Lines session as 3.6 shows; anything else answers `true`.
 */
export async function startFakePortal(): Promise<FakePortal> {
  const messages = new Arrivals();
  const calls = new Map<string, number>();
  const unexpected: string[] = [];
  const time = () => ({ start: Date.now() / 1000, finish: Date.now() / 1000, duration: 0.001, processing: 0.001, date_start: new Date().toISOString(), date_finish: new Date().toISOString() });
  let chatSerial = 0;

  const resultOf = (method: string, params: BracketObject): unknown => {
    calls.set(method, (calls.get(method) ?? 0) + 1);
    switch (method) {
      case "imconnector.register":
        return { result: true };
      case "imconnector.send.status.delivery":
      case "imconnector.send.status.reading":
      case "imconnector.update.messages":
        return { SUCCESS: true, DATA: [] };
      case "imconnector.send.messages": {
        const RESULT = asList(params.MESSAGES).map((m) => {
          const item = asObject(m);
          const message = asObject(item.message);
          messages.record(typeof message.text === "string" ? message.text : "");
          chatSerial += 1;
          return { user: "585", chat: item.chat ?? {}, message: { ...message, date: {} }, SUCCESS: true, session: { ID: String(1000 + chatSerial), CHAT_ID: String(5000 + chatSerial) } };
        });
        return { SUCCESS: true, DATA: { RESULT } };
      }
      case "crm.duplicate.findbycomm":
        return [];
      case "profile":
        return { ID: "1", ADMIN: true, NAME: "Bench", LAST_NAME: "Admin", TIME_ZONE: "" };
      default:
        return true;
    }
  };

  const app = new Hono();
  app.post("/rest/:method{.+}", async (c) => {
    const method = c.req.param("method").replace(/\.json$/, "");
    const body = parseBracketForm(await c.req.text());
    if (method !== "batch") {
      const { auth: _auth, ...params } = body;
      return c.json({ result: resultOf(method, params), time: time() });
    }
    const result: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(asObject(body.cmd))) {
      const [sub = "", query = ""] = String(value).split("?", 2);
      result[key] = resultOf(sub, parseBracketForm(query));
    }
    return c.json({ result: { result, result_error: [], result_total: [], result_next: [], result_time: [] }, time: time() });
  });
  app.notFound((c) => {
    unexpected.push(`${c.req.method} ${c.req.path}`);
    return c.json({ error: "NOT_FOUND", error_description: "no such route in the bench portal" }, 404);
  });
  const server = await startFake(app);
  return { ...server, host: new URL(server.url).host, messages, calls, unexpected };
}
