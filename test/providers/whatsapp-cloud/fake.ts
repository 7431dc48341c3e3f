import { createHmac } from "node:crypto";
import { type Context, Hono } from "hono";
import error100 from "../../../app/providers/whatsapp-cloud/fixtures/error-100.json";
import error190 from "../../../app/providers/whatsapp-cloud/fixtures/error-190.json";
import mediaUpload from "../../../app/providers/whatsapp-cloud/fixtures/media-upload.json";
import mediaUrl from "../../../app/providers/whatsapp-cloud/fixtures/media-url.json";
import phoneNumberWebhook from "../../../app/providers/whatsapp-cloud/fixtures/phone-number-webhook.json";
import phoneNumber from "../../../app/providers/whatsapp-cloud/fixtures/phone-number.json";
import sendAnswer from "../../../app/providers/whatsapp-cloud/fixtures/send-answer.json";
import subscribedApps from "../../../app/providers/whatsapp-cloud/fixtures/subscribed-apps.json";
import templatesPage1 from "../../../app/providers/whatsapp-cloud/fixtures/templates-page-1.json";
import templatesPage2 from "../../../app/providers/whatsapp-cloud/fixtures/templates-page-2.json";
import type { FakeRecorder, WebhookInput } from "../contract.js";
import { checkMessageBody } from "./fake-messages.js";

export const WA_VERSION = "v23.0";
export const WA_TOKEN = "EAAGm0PX4ZCpsBAKfakeSystemUserToken0123456789abcdef";
/** the sheet's example ids (channels-next.md 2 "Inbound payloads") */
export const WA_PHONE_NUMBER_ID = "106540352242922";
export const WA_WABA_ID = "102290129340398";
export const WA_APP_SECRET = "6f1d2c3b4a5968778695a4b3c2d1e0f9";
export const WA_MEDIA_ID = mediaUrl.id;
export const WA_MEDIA_BYTES = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]);

/** What the fake saw, for tests that look past the recorder (uploads, send bodies) or script ids. */
export interface WhatsAppCloudFakeState {
  sent: Array<Record<string, unknown>>;
  uploads: Array<{ type: string; name: string; size: number; typeField: unknown }>;
  /** wamids to answer sends with, in order; the fixture's id when empty */
  ids: string[];
}

export const newWhatsAppCloudFakeState = (): WhatsAppCloudFakeState => ({ sent: [], uploads: [], ids: [] });

/** Meta's side of a webhook: the body as sent and `X-Hub-Signature-256` over exactly those bytes. */
export function signedWebhook(body: string | object, secret = WA_APP_SECRET): WebhookInput {
  const raw = typeof body === "string" ? body : JSON.stringify(body);
  return { body: raw, headers: { "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(raw, "utf8").digest("hex")}` } };
}

/** JSON as Meta writes it: non-ASCII as \uXXXX and "/" as "\/", so it differs from JSON.stringify's. */
export function metaJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`)
    .replace(/\//g, "\\/");
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A Graph API fake speaking channels-next.md 2: `/v23.0/{id}[/edge]` with `Authorization:
 * Bearer`, JSON send bodies checked field by field (fake-messages.ts), multipart uploads, paged
 * templates and a media host that also wants the token. Anything else is a recorded violation.
 */
export function createWhatsAppCloudFake(fake: FakeRecorder, state: WhatsAppCloudFakeState = newWhatsAppCloudFakeState()): Hono {
  const app = new Hono();
  const graphError = (c: Context, body: unknown, status: 400 | 401 | 404) => c.json(body, status);
  const wrongId = (c: Context, id: string, what: string) => {
    fake.check(false, `${c.req.method} ${c.req.path}: ${id} is not the ${what}`);
    return graphError(c, { error: { ...error100.error, message: `Unsupported request. Object with ID '${id}' does not exist` } }, 400);
  };

  // the token goes in the Authorization header of every call, media downloads included
  const authed = async (c: Context, next: () => Promise<void>) => {
    const ok = fake.checkEqual(c.req.header("authorization") ?? null, `Bearer ${WA_TOKEN}`, "Authorization header");
    if (!ok) return graphError(c, error190, 401);
    await next();
  };
  app.use(`/${WA_VERSION}/*`, authed);
  app.use("/whatsapp_business/*", authed);

  const jsonBody = async (c: Context): Promise<unknown> => {
    fake.check((c.req.header("content-type") ?? "").startsWith("application/json"), "Content-Type must be application/json");
    return c.req.json();
  };

  app.get(`/${WA_VERSION}/:id`, (c) => {
    const id = c.req.param("id");
    if (id === WA_PHONE_NUMBER_ID) {
      const fields = (c.req.query("fields") ?? "").split(",");
      fake.check(["display_phone_number", "verified_name", "quality_rating"].every((f) => fields.includes(f)), "GET phone number: ask for its display fields");
      return c.json(phoneNumber);
    }
    if (id === WA_MEDIA_ID || id === mediaUpload.id) {
      // the real URL is on lookaside.fbsbx.com; here it points back at the fake's media host
      const origin = new URL(c.req.url).origin;
      return c.json({ ...mediaUrl, id, url: `${origin}/whatsapp_business/attachments/?mid=${id}&ext=1732600050&hash=ATuA5bX1cZ9k` });
    }
    return wrongId(c, id, "phone number id or a media id");
  });

  app.get("/whatsapp_business/attachments/", (c) => {
    fake.check(c.req.query("mid") === WA_MEDIA_ID, "media download: unknown mid");
    fake.check(Boolean(c.req.header("user-agent")), "media download needs a User-Agent (channels-next.md 6)");
    return c.body(WA_MEDIA_BYTES.slice().buffer, 200, { "content-type": mediaUrl.mime_type });
  });

  app.post(`/${WA_VERSION}/:id`, async (c) => {
    const id = c.req.param("id");
    if (id !== WA_PHONE_NUMBER_ID) return wrongId(c, id, "phone number id");
    const body = await jsonBody(c);
    const config = isObject(body) ? body.webhook_configuration : undefined;
    let ok = fake.check(isObject(body) && Object.keys(body).join() === "webhook_configuration", "POST phone number: only webhook_configuration is set");
    ok = fake.check(isObject(config) && /^https:\/\//.test(String(config.override_callback_uri)), "override_callback_uri must be an https URL") && ok;
    ok = fake.check(isObject(config) && typeof config.verify_token === "string" && config.verify_token.length >= 16, "verify_token must be a secret") && ok;
    return ok ? c.json(phoneNumberWebhook) : graphError(c, error100, 400);
  });

  app.post(`/${WA_VERSION}/:id/subscribed_apps`, async (c) => {
    const id = c.req.param("id");
    if (id !== WA_WABA_ID) return wrongId(c, id, "WABA id");
    const text = await c.req.text();
    fake.check(text === "" || text === "{}", "subscribed_apps: the app-wide callback is used, no body needed");
    return c.json(subscribedApps);
  });

  app.post(`/${WA_VERSION}/:id/messages`, async (c) => {
    const id = c.req.param("id");
    if (id !== WA_PHONE_NUMBER_ID) return wrongId(c, id, "phone number id");
    const body = await jsonBody(c);
    if (!checkMessageBody(fake, body)) return graphError(c, error100, 400);
    const message = body as Record<string, unknown>;
    state.sent.push(message);
    const wamid = state.ids.shift() ?? sendAnswer.messages[0]!.id;
    return c.json({ ...sendAnswer, contacts: [{ input: message.to, wa_id: message.to }], messages: [{ ...sendAnswer.messages[0], id: wamid }] });
  });

  app.post(`/${WA_VERSION}/:id/media`, async (c) => {
    const id = c.req.param("id");
    if (id !== WA_PHONE_NUMBER_ID) return wrongId(c, id, "phone number id");
    fake.check((c.req.header("content-type") ?? "").startsWith("multipart/form-data"), "media upload must be multipart/form-data");
    const form = await c.req.formData();
    const file = form.get("file");
    let ok = fake.checkEqual(form.get("messaging_product"), "whatsapp", "upload messaging_product");
    ok = fake.check(file instanceof File && file.size > 0 && file.type !== "" && file.name !== "", "upload needs a file with its type and name") && ok;
    if (!ok || !(file instanceof File)) return graphError(c, error100, 400);
    state.uploads.push({ type: file.type, name: file.name, size: file.size, typeField: form.get("type") });
    return c.json(mediaUpload);
  });

  app.get(`/${WA_VERSION}/:id/message_templates`, (c) => {
    const id = c.req.param("id");
    if (id !== WA_WABA_ID) return wrongId(c, id, "WABA id");
    fake.check((c.req.query("fields") ?? "").split(",").includes("components"), "message_templates: ask for components");
    const after = c.req.query("after");
    if (after === undefined) return c.json(templatesPage1);
    if (after === templatesPage1.paging.cursors.after) return c.json(templatesPage2);
    fake.check(false, `message_templates: unknown cursor ${after}`);
    return graphError(c, error100, 400);
  });

  return app;
}
