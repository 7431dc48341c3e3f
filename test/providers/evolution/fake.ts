import { type Context, Hono } from "hono";
import connectPairing from "../../../app/providers/evolution/fixtures/connect-pairing.json";
import connectQr from "../../../app/providers/evolution/fixtures/connect-qr.json";
import createInstance from "../../../app/providers/evolution/fixtures/create-instance.json";
import unauthorized from "../../../app/providers/evolution/fixtures/error-401.json";
import messageNotFound from "../../../app/providers/evolution/fixtures/error-400-message-not-found.json";
import nameInUse from "../../../app/providers/evolution/fixtures/error-403-name-in-use.json";
import fetchInstances from "../../../app/providers/evolution/fixtures/fetch-instances.json";
import getBase64 from "../../../app/providers/evolution/fixtures/get-base64-from-media-message.json";
import logout from "../../../app/providers/evolution/fixtures/logout.json";
import sendMedia from "../../../app/providers/evolution/fixtures/send-media.json";
import sendText from "../../../app/providers/evolution/fixtures/send-text.json";
import sendAudio from "../../../app/providers/evolution/fixtures/send-whatsapp-audio.json";
import webhookSet from "../../../app/providers/evolution/fixtures/webhook-set.json";
import type { FakeRecorder } from "../contract.js";

export const EVOLUTION_KEY = "429683C4C977415CAAFCCE10F7D57E11";
export const EVOLUTION_INSTANCE = "crm-1";
/** the one number the fake knows to have WhatsApp */
export const EVOLUTION_KNOWN_PHONE = "79001234567";
/** the one message whose media the fake's database holds (webhook-messages-upsert-image.json) */
export const EVOLUTION_MEDIA_KEY_ID = "3EB0C5D6E7F8A9B0";

/** EventController.events (event.controller.ts, v2.3.6) */
const EVENTS = new Set([
  "APPLICATION_STARTUP", "QRCODE_UPDATED", "MESSAGES_SET", "MESSAGES_UPSERT", "MESSAGES_EDITED", "MESSAGES_UPDATE",
  "MESSAGES_DELETE", "SEND_MESSAGE", "SEND_MESSAGE_UPDATE", "CONTACTS_SET", "CONTACTS_UPSERT", "CONTACTS_UPDATE",
  "PRESENCE_UPDATE", "CHATS_SET", "CHATS_UPSERT", "CHATS_UPDATE", "CHATS_DELETE", "GROUPS_UPSERT", "GROUP_UPDATE",
  "GROUP_PARTICIPANTS_UPDATE", "CONNECTION_UPDATE", "LABELS_EDIT", "LABELS_ASSOCIATION", "CALL", "TYPEBOT_START",
  "TYPEBOT_CHANGE_STATUS", "REMOVE_INSTANCE", "LOGOUT_INSTANCE", "INSTANCE_CREATE", "INSTANCE_DELETE", "STATUS_INSTANCE",
]);
const WEBHOOK_KEYS = new Set(["enabled", "url", "headers", "byEvents", "base64", "events"]);
/** `number` (validate/message.schema.ts numberDefinition): digits, or a JID */
const NUMBER = /^(\d{8,15}|[\w.-]+@(s\.whatsapp\.net|g\.us|lid|c\.us))$/;

export interface FakeInstance {
  state: "open" | "connecting" | "close";
  /** the number a login round was started with: its QR carries a pairing code */
  pairingFor?: string;
}

/** What the fake server holds: its instances by name. Tests change it to stage a scenario. */
export interface EvolutionWorld {
  instances: Map<string, FakeInstance>;
}

export function evolutionWorld(state: FakeInstance["state"] = "open"): EvolutionWorld {
  return { instances: new Map([[EVOLUTION_INSTANCE, { state }]]) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const errorBody = (status: number, error: string, message: unknown) => ({ status, error, response: { message } });

/**
 * An Evolution API v2.3.6 fake speaking the wire format of channels-next.md 4 and the server's
 * source: `apikey` header (the global key), per-instance routes `/{group}/{action}/{instance}`
 * with the instance guard's 404, JSON bodies checked against validate/*.schema.ts, answers
 * from the fixtures. Anything else is a recorded violation.
 */
export function createEvolutionFake(fake: FakeRecorder, world: EvolutionWorld = evolutionWorld()): Hono {
  const app = new Hono();

  app.use("*", async (c, next) => {
    if (!fake.check(c.req.header("apikey") === EVOLUTION_KEY, `header apikey must be the API key, got "${c.req.header("apikey")}"`)) {
      return c.json(unauthorized, 401);
    }
    await next();
  });

  /** instance.guard.ts: an unknown name is 404 before the route runs */
  const instanceOf = (c: Context): FakeInstance | Response => {
    const name = c.req.param("instance") ?? "";
    const instance = world.instances.get(name);
    if (!instance) return c.json(errorBody(404, "Not Found", [`The "${name}" instance does not exist`]), 404);
    return instance;
  };

  const jsonBody = async (c: Context, what: string): Promise<Record<string, unknown> | null> => {
    fake.check((c.req.header("content-type") ?? "").startsWith("application/json"), `${what}: Content-Type must be application/json`);
    const body: unknown = await c.req.json();
    return fake.check(isRecord(body), `${what}: body must be a JSON object`) ? (body as Record<string, unknown>) : null;
  };

  /** JSON-schema validation as the server does it: required fields, types, no unknown keys where we can tell */
  const validate = (what: string, body: Record<string, unknown>, required: string[], allowed: string[]): boolean => {
    let ok = true;
    for (const key of required) ok = fake.check(body[key] !== undefined && body[key] !== "", `${what}: body.${key} is required`) && ok;
    const known = new Set([...required, ...allowed]);
    for (const key of Object.keys(body)) ok = fake.check(known.has(key), `${what}: body.${key} is not a field of this route`) && ok;
    return ok;
  };

  const numberOk = (what: string, value: unknown) => fake.check(typeof value === "string" && NUMBER.test(value), `${what}: number must be digits or a JID, got ${JSON.stringify(value)}`);
  const jidOf = (n: string) => (n.includes("@") ? n : `${n}@s.whatsapp.net`);
  const badRequest = (c: Context, what: string) => c.json(errorBody(400, "Bad Request", [`${what} is invalid`]), 400);

  // ---- instance ----
  app.post("/instance/create", async (c) => {
    const body = await jsonBody(c, "instance/create");
    if (!body || !validate("instance/create", body, ["instanceName"], ["integration", "qrcode", "token", "number", "webhook", "settings"])) {
      return badRequest(c, "instance/create");
    }
    fake.check(["WHATSAPP-BAILEYS", "WHATSAPP-BUSINESS", "EVOLUTION"].includes(String(body.integration)), "instance/create: integration must be WHATSAPP-BAILEYS");
    const name = String(body.instanceName);
    if (world.instances.has(name)) return c.json({ ...nameInUse, response: { message: [`This name "${name}" is already in use.`] } }, 403);
    world.instances.set(name, { state: "close" });
    return c.json({ ...createInstance, instance: { ...createInstance.instance, instanceName: name } }, 201);
  });

  app.get("/instance/fetchInstances", (c) => {
    const name = c.req.query("instanceName");
    if (name !== undefined && !world.instances.has(name)) return c.json(errorBody(404, "Not Found", [`Instance "${name}" not found`]), 404);
    const names = name !== undefined ? [name] : [...world.instances.keys()];
    return c.json(names.map((n) => ({ ...fetchInstances[0], name: n, connectionStatus: world.instances.get(n)!.state })));
  });

  app.get("/instance/connectionState/:instance", (c) => {
    const instance = instanceOf(c);
    if (instance instanceof Response) return instance;
    return c.json({ instance: { instanceName: c.req.param("instance"), state: instance.state } });
  });

  // instance.controller.ts connectToWhatsapp: open -> state; connecting -> the current QR; close -> start a round
  app.get("/instance/connect/:instance", (c) => {
    const instance = instanceOf(c);
    if (instance instanceof Response) return instance;
    const number = c.req.query("number");
    if (number !== undefined) fake.check(/^\d{10,15}$/.test(number), `instance/connect: number must be digits, got ${number}`);
    if (instance.state === "open") return c.json({ instance: { instanceName: c.req.param("instance"), state: "open" } });
    if (instance.state === "close") {
      instance.state = "connecting";
      if (number) instance.pairingFor = number;
      else delete instance.pairingFor;
    }
    return c.json(instance.pairingFor ? connectPairing : connectQr);
  });

  app.delete("/instance/logout/:instance", (c) => {
    const instance = instanceOf(c);
    if (instance instanceof Response) return instance;
    if (instance.state === "close") return c.json(errorBody(400, "Bad Request", [`The "${c.req.param("instance")}" instance is not connected`]), 400);
    instance.state = "close";
    delete instance.pairingFor;
    return c.json(logout);
  });

  // ---- webhook (webhook.schema.ts, nested) ----
  app.post("/webhook/set/:instance", async (c) => {
    const instance = instanceOf(c);
    if (instance instanceof Response) return instance;
    const body = await jsonBody(c, "webhook/set");
    if (!body || !validate("webhook/set", body, ["webhook"], [])) return badRequest(c, "webhook/set");
    const hook = body.webhook;
    if (!fake.check(isRecord(hook), "webhook/set: body.webhook must be an object (the flat OpenAPI form is outdated)")) return badRequest(c, "webhook");
    const w = hook as Record<string, unknown>;
    let ok = true;
    for (const key of Object.keys(w)) ok = fake.check(WEBHOOK_KEYS.has(key), `webhook/set: webhook.${key} is not a field`) && ok;
    ok = fake.check(typeof w.enabled === "boolean", "webhook/set: webhook.enabled must be a boolean") && ok;
    ok = fake.check(typeof w.url === "string" && /^https?:\/\//.test(w.url), "webhook/set: webhook.url must be an http(s) URL") && ok;
    // enabled with no events list crashes the server (webhook.controller.ts reads events.length)
    ok = fake.check(Array.isArray(w.events) && w.events.every((e) => EVENTS.has(String(e))), "webhook/set: webhook.events must list known events") && ok;
    for (const key of ["byEvents", "base64"]) if (key in w) ok = fake.check(typeof w[key] === "boolean", `webhook/set: webhook.${key} must be a boolean`) && ok;
    if (!ok) return badRequest(c, "webhook");
    return c.json({ ...webhookSet, url: w.url, enabled: w.enabled, events: w.events, webhookByEvents: w.byEvents ?? false, webhookBase64: w.base64 ?? false }, 201);
  });

  // ---- messages (validate/message.schema.ts) ----
  const sendRoute = (route: string, required: string[], allowed: string[], answer: typeof sendText | typeof sendMedia | typeof sendAudio, extra?: (body: Record<string, unknown>) => boolean) =>
    app.post(`/message/${route}/:instance`, async (c) => {
      const instance = instanceOf(c);
      if (instance instanceof Response) return instance;
      const body = await jsonBody(c, route);
      if (!body || !validate(route, body, required, [...allowed, "delay", "quoted", "mentioned", "everyOne"]) || !numberOk(route, body.number) || (extra && !extra(body))) {
        return badRequest(c, route);
      }
      const number = String(body.number);
      // sendMessageWithTyping checks the number first
      if (!number.includes("@") && number !== EVOLUTION_KNOWN_PHONE) {
        return c.json(errorBody(400, "Bad Request", [{ jid: jidOf(number), exists: false, number }]), 400);
      }
      return c.json({ ...answer, key: { ...answer.key, remoteJid: jidOf(number) } }, 201);
    });

  sendRoute("sendText", ["number", "text"], ["linkPreview"], sendText, (body) => fake.check(typeof body.text === "string", "sendText: text must be a string"));
  sendRoute("sendMedia", ["number", "mediatype", "media"], ["mimetype", "fileName", "caption"], sendMedia, (body) => {
    let ok = fake.check(["image", "document", "video", "audio"].includes(String(body.mediatype)), `sendMedia: mediatype ${String(body.mediatype)} is not one of image|document|video|audio`);
    ok = fake.check(/^https?:\/\//.test(String(body.media)), "sendMedia: media must be a URL (or base64)") && ok;
    if (body.mediatype === "document") ok = fake.check(typeof body.fileName === "string" && body.fileName !== "", "sendMedia: a document needs fileName") && ok;
    return ok;
  });
  sendRoute("sendWhatsAppAudio", ["number", "audio"], [], sendAudio, (body) => fake.check(/^https?:\/\//.test(String(body.audio)), "sendWhatsAppAudio: audio must be a URL"));

  // ---- chat ----
  app.post("/chat/whatsappNumbers/:instance", async (c) => {
    const instance = instanceOf(c);
    if (instance instanceof Response) return instance;
    const body = await jsonBody(c, "whatsappNumbers");
    if (!body || !validate("whatsappNumbers", body, ["numbers"], [])) return badRequest(c, "whatsappNumbers");
    const numbers = body.numbers;
    if (!fake.check(Array.isArray(numbers) && numbers.length > 0 && numbers.every((n) => typeof n === "string"), "whatsappNumbers: numbers must be strings")) {
      return badRequest(c, "numbers");
    }
    return c.json((numbers as string[]).map((n) => ({ exists: n === EVOLUTION_KNOWN_PHONE, jid: jidOf(n), number: n })));
  });

  app.post("/chat/getBase64FromMediaMessage/:instance", async (c) => {
    const instance = instanceOf(c);
    if (instance instanceof Response) return instance;
    const body = await jsonBody(c, "getBase64FromMediaMessage");
    if (!body || !validate("getBase64FromMediaMessage", body, ["message"], ["convertToMp4"])) return badRequest(c, "getBase64FromMediaMessage");
    const message = body.message;
    const id = isRecord(message) && isRecord(message.key) ? message.key.id : undefined;
    if (!fake.check(typeof id === "string", "getBase64FromMediaMessage: message.key.id is required")) return badRequest(c, "message");
    return id === EVOLUTION_MEDIA_KEY_ID ? c.json(getBase64, 201) : c.json(messageNotFound, 400);
  });

  return app;
}
