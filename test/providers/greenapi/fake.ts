import { type Context, Hono } from "hono";
import checkExists from "../../../app/providers/greenapi/fixtures/check-whatsapp-exists.json";
import checkMissing from "../../../app/providers/greenapi/fixtures/check-whatsapp-missing.json";
import badPhone from "../../../app/providers/greenapi/fixtures/error-400-bad-phone.json";
import getState from "../../../app/providers/greenapi/fixtures/get-state-instance.json";
import qr from "../../../app/providers/greenapi/fixtures/qr.json";
import sendFileByUrl from "../../../app/providers/greenapi/fixtures/send-file-by-url.json";
import sendMessage from "../../../app/providers/greenapi/fixtures/send-message.json";
import setSettings from "../../../app/providers/greenapi/fixtures/set-settings.json";
import type { FakeRecorder } from "../contract.js";

export const GREENAPI_INSTANCE = "1101000001";
export const GREENAPI_TOKEN = "d75b3a66374942c5b3c019c698abc2067e151558acbd4123";
/** the one number the fake knows to have WhatsApp */
export const GREENAPI_KNOWN_PHONE = "79001234568";

const CHAT_ID = /^(\d{10,15}@c\.us|[\d-]+@g\.us|\d+@lid)$/;

/** settings keys setSettings accepts (section 1 "Set webhook" plus the send-delay setting) */
const SETTINGS_KEYS = new Set([
  "webhookUrl",
  "webhookUrlToken",
  "incomingWebhook",
  "outgoingWebhook",
  "outgoingAPIMessageWebhook",
  "outgoingMessageWebhook",
  "stateWebhook",
  "delaySendMessagesMilliseconds",
]);

interface MethodSpec {
  verb: "GET" | "POST";
  required?: string[];
  optional?: string[];
  answer(c: Context, body: Record<string, unknown>): Response;
}

/**
 * A Green-API fake speaking the wire format of reference/providers.md section 1:
 * `/waInstance{idInstance}/{method}/{apiTokenInstance}`, JSON bodies with the documented fields,
 * answers from the fixtures. Anything else is a recorded violation.
 */
export function createGreenApiFake(fake: FakeRecorder): Hono {
  const chatIdOk = (body: Record<string, unknown>) => fake.check(CHAT_ID.test(String(body.chatId)), `chatId must be a WhatsApp chat id, got ${JSON.stringify(body.chatId)}`);

  const methods: Record<string, MethodSpec> = {
    sendMessage: {
      verb: "POST",
      required: ["chatId", "message"],
      optional: ["quotedMessageId", "linkPreview"],
      answer: (c, body) => (chatIdOk(body) ? c.json(sendMessage) : c.text("Validation failed. Details: chatId", 400)),
    },
    sendFileByUrl: {
      verb: "POST",
      required: ["chatId", "urlFile", "fileName"],
      optional: ["caption", "quotedMessageId"],
      answer: (c, body) => {
        const ok = chatIdOk(body) && fake.check(/^https?:\/\//.test(String(body.urlFile)), "urlFile must be an http(s) URL");
        return ok ? c.json(sendFileByUrl) : c.text("Validation failed. Details: urlFile", 400);
      },
    },
    checkWhatsapp: {
      verb: "POST",
      answer: (c, body) => {
        const n = body.phoneNumber;
        if (!fake.check(typeof n === "number" && Number.isInteger(n), `phoneNumber must be an integer, got ${JSON.stringify(n)}`)) {
          return c.text("Validation failed. Details: phoneNumber", 400);
        }
        const digits = String(n);
        if (digits.length < 11 || digits.length > 16) return c.json(badPhone, 400);
        return c.json(digits === GREENAPI_KNOWN_PHONE ? checkExists : checkMissing);
      },
    },
    getStateInstance: { verb: "GET", answer: (c) => c.json(getState) },
    qr: { verb: "GET", answer: (c) => c.json(qr) },
    setSettings: {
      verb: "POST",
      answer: (c, body) => {
        let ok = true;
        for (const key of Object.keys(body)) ok = fake.check(SETTINGS_KEYS.has(key), `setSettings has no setting ${key}`) && ok;
        ok = fake.check(/^https:\/\//.test(String(body.webhookUrl)), "webhookUrl must be our https receiver") && ok;
        ok = fake.check(typeof body.webhookUrlToken === "string" && body.webhookUrlToken.length >= 16, "webhookUrlToken must be a secret") && ok;
        for (const key of ["incomingWebhook", "outgoingWebhook", "stateWebhook"]) {
          ok = fake.checkEqual(body[key], "yes", `setSettings.${key}`) && ok;
        }
        return ok ? c.json(setSettings) : c.text("Validation failed. Details: settings", 400);
      },
    },
  };

  const app = new Hono();
  app.all("/:instance/:method/:token", async (c) => {
    const { instance, method, token } = c.req.param();
    const spec = methods[method];
    if (!fake.check(spec !== undefined, `no Green-API method ${method}`)) return c.text("Not Found", 404);
    const known = spec!;
    // A wrong instance or token gets 401 from Green-API (section 1, exact code [U]).
    const authed = [
      fake.checkEqual(instance, `waInstance${GREENAPI_INSTANCE}`, "instance path segment"),
      fake.checkEqual(token, GREENAPI_TOKEN, "apiTokenInstance path segment"),
    ].every(Boolean);
    if (!authed) return c.text("Unauthorized", 401);
    if (!fake.checkEqual(c.req.method, known.verb, `HTTP method of ${method}`)) return c.text("Method Not Allowed", 405);
    if (known.verb === "GET") return known.answer(c, {});

    fake.check((c.req.header("content-type") ?? "").startsWith("application/json"), "Content-Type must be application/json");
    const parsed: unknown = await c.req.json();
    if (!fake.check(typeof parsed === "object" && parsed !== null && !Array.isArray(parsed), "body must be a JSON object")) {
      return c.text("Validation failed. Details: body", 400);
    }
    const body = parsed as Record<string, unknown>;
    let ok = true;
    for (const key of known.required ?? []) {
      ok = fake.check(typeof body[key] === "string" && body[key] !== "", `${method}: body.${key} must be a non-empty string`) && ok;
    }
    if (known.required) {
      const allowed = new Set([...known.required, ...(known.optional ?? [])]);
      for (const key of Object.keys(body)) ok = fake.check(allowed.has(key), `${method}: body.${key} is not a field of this method`) && ok;
    }
    return ok ? known.answer(c, body) : c.text(`Validation failed. Details: ${method} body`, 400);
  });
  return app;
}
