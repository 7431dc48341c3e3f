import { type Context, Hono } from "hono";
import checkFalse from "../../../app/providers/waha/fixtures/check-exists-false.json";
import unauthorized from "../../../app/providers/waha/fixtures/error-401.json";
import sessionMissing from "../../../app/providers/waha/fixtures/error-404-session.json";
import sessionExists from "../../../app/providers/waha/fixtures/error-422-exists.json";
import pairingCode from "../../../app/providers/waha/fixtures/pairing-code.json";
import qr from "../../../app/providers/waha/fixtures/qr.json";
import version from "../../../app/providers/waha/fixtures/server-version.json";
import type { FakeRecorder } from "../contract.js";

export const WAHA_KEY = "waha-admin-key-5f1c0c7e2b9d4a1e";
export const WAHA_SESSION = "crm-1";
/** the numbers the fake knows to have WhatsApp; 55 119… answers with the 9th digit dropped (waha#238) */
export const WAHA_KNOWN = new Map([
  ["79001234567", "79001234567@c.us"],
  ["5511987654321", "551187654321@c.us"],
]);
export const MEDIA_BYTES = new TextEncoder().encode("%PDF-1.4 fake invoice");

type Engine = "WEBJS" | "NOWEB" | "GOWS";

/** The message id part each send call answers with, so tests can name the id a send returns. */
export const SENT_IDS: Record<string, string> = {
  sendText: "3EB0B430B6F8F1D0E053AC120E0A9E5C",
  sendImage: "3EB0C431D7A3E1F2B5A6",
  sendFile: "3EB0C431D7A3E1F2B5A7",
  sendVideo: "3EB0C431D7A3E1F2B5A8",
  sendVoice: "3EB0C431D7A3E1F2B5A9",
};

export interface FakeSession {
  status: string;
  config: Record<string, unknown> | null;
  me: { id: string; pushName: string } | null;
}

/** What the fake server holds: tests read and change it between calls. */
export class WahaState {
  engine: Engine = "WEBJS";
  sessions = new Map<string, FakeSession>();
  constructor() {
    this.reset();
  }
  reset(): void {
    this.engine = "WEBJS";
    this.sessions = new Map([[WAHA_SESSION, { status: "WORKING", config: { metadata: { "channel.id": "ch_1" } }, me: { id: "74950000000@c.us", pushName: "Shop" } }]]);
  }
}

const CHAT_ID = /^(\d{5,20}@c\.us|[\d-]{5,40}@g\.us|\d{5,25}@lid)$/;
const FILE_METHODS = new Set(["sendImage", "sendFile", "sendVideo", "sendVoice"]);
const WEBHOOK_KEYS = new Set(["url", "events", "hmac", "retries", "customHeaders"]);

function statusError(c: Context, session: string, status: string) {
  return c.json({ error: "Session status is not as expected. Try again later or restart the session", session, status, expected: ["WORKING"] }, 422);
}

function sentAnswer(engine: Engine, chatId: string, id: string) {
  if (engine === "NOWEB") {
    return { key: { remoteJid: chatId.replace("@c.us", "@s.whatsapp.net"), fromMe: true, id }, message: {}, messageTimestamp: "1732600100", status: "PENDING" };
  }
  if (engine === "GOWS") return { id: `true_${chatId}_${id}`, timestamp: 1732600100, fromMe: true, to: chatId, ack: 1, ackName: "SERVER" };
  return { id: { fromMe: true, remote: chatId, id, _serialized: `true_${chatId}_${id}` }, ack: 0, timestamp: 1732600100 };
}

/**
 * A WAHA server speaking the wire format of channels-next.md 3 and WAHA's source: `X-Api-Key`
 * on every call, sessions with their status, the send calls' JSON fields, check-exists, the
 * QR as JSON, request-code, and media files behind the key. Wire mistakes are violations.
 */
export function createWahaFake(fake: FakeRecorder, state: WahaState = new WahaState()): Hono {
  const app = new Hono();
  const info = (name: string, s: FakeSession, status = s.status) => ({ name, status, config: s.config, me: s.me, engine: { engine: state.engine } });
  const working = (c: Context, name: unknown) => {
    const s = state.sessions.get(String(name));
    if (!s) return c.json({ message: `We didn't find a session with name '${String(name)}'.`, error: "Not Found", statusCode: 404 }, 404);
    return s.status === "WORKING" ? null : statusError(c, String(name), s.status);
  };
  const jsonBody = async (c: Context): Promise<Record<string, unknown>> => {
    fake.check((c.req.header("content-type") ?? "").startsWith("application/json"), "Content-Type must be application/json");
    const parsed: unknown = await c.req.json();
    fake.check(typeof parsed === "object" && parsed !== null && !Array.isArray(parsed), "body must be a JSON object");
    return (parsed ?? {}) as Record<string, unknown>;
  };

  app.use("*", async (c, next) => {
    const key = c.req.header("x-api-key");
    if (!fake.checkEqual(key, WAHA_KEY, "X-Api-Key")) return c.json(unauthorized, 401);
    fake.check(!new URL(c.req.url).searchParams.has("x-api-key"), "the key must not travel in the URL");
    await next();
  });

  app.get("/api/server/version", (c) => c.json({ ...version, engine: state.engine }));

  app.get("/api/sessions/:session", (c) => {
    const name = c.req.param("session");
    const s = state.sessions.get(name);
    return s ? c.json(info(name, s)) : c.json(sessionMissing, 404);
  });

  app.post("/api/sessions", async (c) => {
    const body = await jsonBody(c);
    for (const k of Object.keys(body)) fake.check(["name", "start", "config"].includes(k), `POST /api/sessions has no field ${k}`);
    const name = String(body.name ?? "");
    fake.check(/^[A-Za-z0-9_-]+$/.test(name), "a session name");
    if (state.sessions.has(name)) return c.json(sessionExists, 422);
    const s: FakeSession = { status: body.start === true ? "SCAN_QR_CODE" : "STOPPED", config: (body.config as Record<string, unknown>) ?? null, me: null };
    state.sessions.set(name, s);
    return c.json(info(name, s, body.start === true ? "STARTING" : "STOPPED"), 201);
  });

  app.put("/api/sessions/:session", async (c) => {
    const name = c.req.param("session");
    const body = await jsonBody(c);
    fake.check(Object.keys(body).every((k) => k === "config"), "PUT /api/sessions/{session} takes {config}");
    const config = body.config as { webhooks?: Array<Record<string, unknown>> } | undefined;
    for (const hook of config?.webhooks ?? []) {
      for (const k of Object.keys(hook)) fake.check(WEBHOOK_KEYS.has(k), `a webhook has no field ${k}`);
      fake.check(typeof hook.url === "string" && /^https?:\/\//.test(hook.url), "webhook url");
      fake.check(Array.isArray(hook.events) && hook.events.length > 0, "webhook events");
    }
    const s = state.sessions.get(name);
    if (!s) return c.json(sessionMissing, 404);
    s.config = (config as Record<string, unknown>) ?? null;
    return c.json(info(name, s));
  });

  for (const action of ["start", "restart", "stop"] as const) {
    app.post(`/api/sessions/:session/${action}`, (c) => {
      const name = c.req.param("session");
      const s = state.sessions.get(name);
      if (!s) return c.json(sessionMissing, 404);
      s.status = action === "stop" ? "STOPPED" : s.me ? "WORKING" : "SCAN_QR_CODE";
      return c.json(info(name, s, action === "stop" ? "STOPPED" : "STARTING"), 201);
    });
  }

  app.get("/api/:session/auth/qr", (c) => {
    const name = c.req.param("session");
    fake.checkEqual(c.req.header("accept"), "application/json", "Accept of the QR call (JSON, not the PNG)");
    fake.check(c.req.query("format") === undefined || c.req.query("format") === "image", "QR format image");
    const s = state.sessions.get(name);
    if (!s) return c.json(sessionMissing, 404);
    return s.status === "SCAN_QR_CODE" ? c.json(qr) : statusError(c, name, s.status);
  });

  app.post("/api/:session/auth/request-code", async (c) => {
    const name = c.req.param("session");
    const body = await jsonBody(c);
    fake.check(typeof body.phoneNumber === "string" && /^\d{10,15}$/.test(body.phoneNumber), "phoneNumber: digits in international format");
    const s = state.sessions.get(name);
    if (!s) return c.json(sessionMissing, 404);
    return s.status === "SCAN_QR_CODE" ? c.json(pairingCode, 201) : statusError(c, name, s.status);
  });

  app.get("/api/contacts/check-exists", (c) => {
    const phone = c.req.query("phone") ?? "";
    const session = c.req.query("session");
    const ok = fake.check(/^\d{10,15}$/.test(phone), "check-exists phone: digits") && fake.check(typeof session === "string" && session !== "", "check-exists session");
    if (!ok) return c.json({ message: ["phone must be a string"], error: "Bad Request", statusCode: 400 }, 400);
    const refused = working(c, session);
    if (refused) return refused;
    const chatId = WAHA_KNOWN.get(phone);
    return c.json(chatId ? { numberExists: true, chatId } : checkFalse);
  });

  app.post("/api/:method{send(Text|Image|File|Video|Voice)}", async (c) => {
    const method = c.req.param("method");
    const body = await jsonBody(c);
    const isFile = FILE_METHODS.has(method);
    const allowed = new Set(["session", "chatId", "reply_to", ...(isFile ? ["file", ...(method === "sendVoice" ? [] : ["caption"])] : ["text", "linkPreview", "mentions"])]);
    let ok = fake.check(typeof body.session === "string" && body.session !== "", `${method}: session`);
    ok = fake.check(typeof body.chatId === "string" && CHAT_ID.test(body.chatId), `${method}: chatId must be a WhatsApp chat id, got ${JSON.stringify(body.chatId)}`) && ok;
    for (const k of Object.keys(body)) ok = fake.check(allowed.has(k), `${method}: body.${k} is not a field of this call`) && ok;
    if (isFile) {
      const file = body.file as Record<string, unknown> | undefined;
      ok = fake.check(typeof file?.url === "string" && /^https?:\/\//.test(file.url), `${method}: file.url`) && ok;
      ok = fake.check(typeof file?.mimetype === "string" && file.mimetype.includes("/"), `${method}: file.mimetype`) && ok;
    } else {
      ok = fake.check(typeof body.text === "string" && body.text !== "", "sendText: text") && ok;
    }
    if (!ok) return c.json({ message: ["validation failed"], error: "Bad Request", statusCode: 400 }, 400);
    const refused = working(c, body.session);
    if (refused) return refused;
    return c.json(sentAnswer(state.engine, String(body.chatId), SENT_IDS[method]!), 201);
  });

  app.get("/api/files/:session/:file", (c) => c.body(MEDIA_BYTES, 200, { "content-type": "application/pdf" }));

  return app;
}
