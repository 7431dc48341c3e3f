import { type Context, Hono } from "hono";
import contactExists from "../../../app/providers/wappi/fixtures/contact-check-exists.json";
import contactMissing from "../../../app/providers/wappi/fixtures/contact-check-missing.json";
import invalidToken from "../../../app/providers/wappi/fixtures/error-invalid-token.json";
import profileNotFound from "../../../app/providers/wappi/fixtures/error-profile-not-found.json";
import wrongPlatform from "../../../app/providers/wappi/fixtures/error-wrong-platform.json";
import getQr from "../../../app/providers/wappi/fixtures/get-qr.json";
import getStatus from "../../../app/providers/wappi/fixtures/get-status.json";
import sendMessage from "../../../app/providers/wappi/fixtures/send-message.json";
import telegramContactExists from "../../../app/providers/wappi/fixtures/telegram-contact-check-exists.json";
import webhookSet from "../../../app/providers/wappi/fixtures/webhook-set.json";
import type { Messenger } from "../../../app/providers/types.js";
import type { FakeRecorder } from "../contract.js";

export const WAPPI_TOKEN = "wappi-test-token-1234567890";
export const WAPPI_PROFILE = "6qw54f68-71eq";
/** the one number the fake knows to have the messenger */
export const WAPPI_KNOWN_PHONE = "79115576366";

const WEBHOOK_TYPES = new Set(["incoming_message", "delivery_status", "outgoing_message_api", "outgoing_message_phone", "authorization_status", "incoming_call"]);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * A Wappi fake speaking the wire format of reference/providers.md section 2 and seed 003: raw
 * token in `Authorization` (no Bearer), `profile_id` in the query, JSON bodies with `body` /
 * `recipient` / `url`, answers from the fixtures. `messenger` is the profile's kind: calls through
 * the other prefix get Wappi's `Wrong platform` error.
 */
export function createWappiFake(fake: FakeRecorder, messenger: Messenger): Hono {
  const app = new Hono();
  const ownPrefix = messenger === "telegram" ? "tapi" : "api";

  const guard = (c: Context, prefix: string): Response | null => {
    if (!fake.check(c.req.header("authorization") === WAPPI_TOKEN, `Authorization must be the raw token, got "${c.req.header("authorization")}"`)) {
      return c.json(invalidToken, 401);
    }
    if (!fake.checkEqual(c.req.query("profile_id"), WAPPI_PROFILE, "query profile_id")) return c.json(profileNotFound, 400);
    if (!fake.checkEqual(prefix, ownPrefix, "API prefix of this profile")) return c.json(wrongPlatform, 400);
    return null;
  };

  const jsonBody = async (c: Context, expectedKeys: { required: string[]; optional?: string[] }): Promise<Record<string, unknown> | null> => {
    fake.check((c.req.header("content-type") ?? "").startsWith("application/json"), "Content-Type must be application/json");
    const body: unknown = await c.req.json();
    if (!fake.check(isRecord(body), "body must be a JSON object")) return null;
    const record = body as Record<string, unknown>;
    let ok = true;
    for (const key of expectedKeys.required) ok = fake.check(typeof record[key] === "string" && record[key] !== "", `body.${key} must be a non-empty string`) && ok;
    const allowed = new Set([...expectedKeys.required, ...(expectedKeys.optional ?? [])]);
    for (const key of Object.keys(record)) ok = fake.check(allowed.has(key), `body.${key} is not a field of this method`) && ok;
    if (typeof record.recipient === "string" && messenger === "whatsapp") {
      ok = fake.check(/^\d{10,15}$/.test(record.recipient), `WhatsApp recipient must be digits, got "${record.recipient}"`) && ok;
    }
    return ok ? record : null;
  };

  for (const prefix of ["api", "tapi"]) {
    const api = new Hono();
    api.post("/sync/message/send", async (c) => {
      const denied = guard(c, prefix);
      if (denied) return denied;
      const body = await jsonBody(c, { required: ["body", "recipient"] });
      return body ? c.json(sendMessage) : c.json({ status: "error", detail: "body and recipient are required" }, 400);
    });
    api.post("/sync/message/file/url/send", async (c) => {
      const denied = guard(c, prefix);
      if (denied) return denied;
      const body = await jsonBody(c, { required: ["recipient", "url"], optional: ["file_name", "caption"] });
      if (body) fake.check(/^https?:\/\//.test(String(body.url)), "url must be an http(s) URL");
      return body ? c.json({ ...sendMessage, message_id: "3EB0F11E5B5D222DD0AA" }) : c.json({ status: "error", detail: "recipient and url are required" }, 400);
    });
    api.get("/sync/contact/check", (c) => {
      const denied = guard(c, prefix);
      if (denied) return denied;
      const phone = c.req.query("phone") ?? "";
      if (!fake.check(/^\d{10,15}$/.test(phone), `query phone must be digits, got "${phone}"`)) return c.json({ status: "error", detail: "phone is required" }, 400);
      if (prefix === "tapi") return c.json(phone === WAPPI_KNOWN_PHONE ? telegramContactExists : { status: "done", on_telegram: false });
      return c.json(phone === WAPPI_KNOWN_PHONE ? contactExists : contactMissing);
    });
    api.get("/sync/get/status", (c) => guard(c, prefix) ?? c.json(getStatus));
    api.get(prefix === "tapi" ? "/sync/auth/qr" : "/sync/get/qr", (c) => guard(c, prefix) ?? c.json(getQr));
    api.post("/webhook/url/set", async (c) => {
      const denied = guard(c, prefix);
      if (denied) return denied;
      fake.check(/^https:\/\//.test(c.req.query("url") ?? ""), `query url must be our https receiver, got "${c.req.query("url")}"`);
      fake.checkEqual(await c.req.text(), "", "webhook/url/set body (parameters go in the query)");
      return c.json(webhookSet);
    });
    api.post("/webhook/types/set", async (c) => {
      const denied = guard(c, prefix);
      if (denied) return denied;
      const types: unknown = await c.req.json();
      const ok = fake.check(Array.isArray(types) && types.length > 0, "webhook/types/set body must be a non-empty JSON array");
      if (ok) for (const t of types as unknown[]) fake.check(typeof t === "string" && WEBHOOK_TYPES.has(t), `unknown webhook type ${JSON.stringify(t)}`);
      return c.json(webhookSet);
    });
    app.route(`/${prefix}`, api);
  }
  return app;
}
