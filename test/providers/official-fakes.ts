import type { Hono } from "hono";
import { deriveChannelSecret } from "../../app/core/channels.js";
import photoUpdate from "../../app/providers/telegram/fixtures/update-photo.json";
import textUpdate from "../../app/providers/telegram/fixtures/update-text.json";
import { SECRET_TOKEN_PURPOSE } from "../../app/providers/telegram/webhook.js";
import statusSent from "../../app/providers/whatsapp-cloud/fixtures/webhook-status-sent.json";
import cloudText from "../../app/providers/whatsapp-cloud/fixtures/webhook-text.json";
import { VERIFY_TOKEN_PURPOSE } from "../../app/providers/whatsapp-cloud/webhook.js";
import type { FakeServer } from "../support/fake-server.js";
import { Recorder, serveFake } from "./provider-fake.js";
import { createTelegramFake, TELEGRAM_TOKEN } from "./telegram/fake.js";
import {
  createWhatsAppCloudFake,
  newWhatsAppCloudFakeState,
  signedWebhook,
  WA_APP_SECRET,
  WA_PHONE_NUMBER_ID,
  WA_TOKEN,
  WA_VERSION,
  WA_WABA_ID,
} from "./whatsapp-cloud/fake.js";

/*
 * The two official providers (Telegram Bot API, WhatsApp Cloud API) as their contract fakes on
 * loopback, for end-to-end suites: credentials pointing at them, and the webhooks their real
 * servers would POST to a channel's hook URL, authenticated the way each one does it.
 */

/** The Telegram client of the fixtures: chat id, first name, @username. */
export const TG_CLIENT = { chatId: String(textUpdate.message.chat.id), name: textUpdate.message.chat.first_name, username: textUpdate.message.chat.username };
/** The Cloud API client of the fixtures (wa_id) and their profile name. */
export const WA_CLIENT = { phone: cloudText.entry[0]!.changes[0]!.value.messages[0]!.from, name: "Ivan" };

let serial = 0;
const nextId = () => (serial += 1);

export class OfficialFakes {
  readonly telegram = new Recorder();
  readonly cloud = new Recorder();
  readonly cloudState = newWhatsAppCloudFakeState();
  private servers: FakeServer[] = [];
  telegramUrl = "";
  cloudUrl = "";

  async start(): Promise<this> {
    const tg = await serveFake(createTelegramFake, this.telegram);
    const wa = await serveFake((fake): Hono => createWhatsAppCloudFake(fake, this.cloudState), this.cloud);
    this.servers.push(tg, wa);
    this.telegramUrl = tg.url;
    this.cloudUrl = wa.url;
    return this;
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((s) => s.close()));
  }

  telegramCredentials(botToken = TELEGRAM_TOKEN): Record<string, string> {
    return { botToken, apiUrl: this.telegramUrl };
  }

  cloudCredentials(extra: Record<string, string> = {}): Record<string, string> {
    return { accessToken: WA_TOKEN, phoneNumberId: WA_PHONE_NUMBER_ID, wabaId: WA_WABA_ID, appSecret: WA_APP_SECRET, apiUrl: `${this.cloudUrl}/${WA_VERSION}`, ...extra };
  }

  /** JSON bodies of the Bot API calls of one method, in order. */
  telegramCalls(method: string): Array<Record<string, unknown>> {
    return this.telegram.requests
      .filter((r) => r.path === `/bot${TELEGRAM_TOKEN}/${method}`)
      .map((r) => (r.body === "" ? {} : (JSON.parse(r.body) as Record<string, unknown>)));
  }

  /** The message bodies the Cloud API accepted (POST /{phone-number-id}/messages). */
  cloudSends(): Array<Record<string, unknown>> {
    return this.cloudState.sent;
  }

  /** The next Cloud API sends answer with these wamids, in order. */
  nextWamids(...ids: string[]): void {
    this.cloudState.ids.push(...ids);
  }
}

/** The secret in a channel's `/hooks/<provider>/<secret>` URL. */
export function hookSecretOf(hookUrl: string): string {
  return new URL(hookUrl).pathname.split("/").at(-1)!;
}

/** What Telegram puts in X-Telegram-Bot-Api-Secret-Token for this channel (setWebhook's secret_token). */
export function telegramSecretToken(hookSecret: string): Promise<string> {
  return deriveChannelSecret(hookSecret, SECRET_TOKEN_PURPOSE);
}

/** The hub.verify_token the channel gave Meta. */
export function cloudVerifyToken(hookSecret: string): Promise<string> {
  return deriveChannelSecret(hookSecret, VERIFY_TOKEN_PURPOSE);
}

/** A private-chat Update from the fixtures' client: text, or the photo fixture (caption "my order"). */
export function telegramUpdate(opts: { text?: string; photo?: boolean; date: Date; updateId?: number; messageId?: number }): Record<string, unknown> {
  const id = nextId();
  const base = opts.photo ? photoUpdate : textUpdate;
  const message: Record<string, unknown> = { ...base.message, message_id: opts.messageId ?? 2000 + id, date: Math.floor(opts.date.getTime() / 1000) };
  if (!opts.photo) message.text = opts.text ?? "Hello";
  return { update_id: opts.updateId ?? 873_500_000 + id, message };
}

type Fetcher = { request(path: string, init: RequestInit): Response | Promise<Response> };

/** POSTs an Update as Telegram does; `secret` null leaves the header out. */
export async function postTelegramUpdate(app: Fetcher, hookSecret: string, update: unknown, secret?: string | null): Promise<Response> {
  const token = secret === undefined ? await telegramSecretToken(hookSecret) : secret;
  return app.request(`/hooks/telegram/${hookSecret}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token !== null ? { "x-telegram-bot-api-secret-token": token } : {}) },
    body: JSON.stringify(update),
  });
}

/** A Cloud API `messages` change from the fixtures' client with one text message. */
export function cloudTextHook(opts: { text: string; date: Date; id?: string }): Record<string, unknown> {
  const hook = structuredClone(cloudText) as typeof cloudText;
  const message = hook.entry[0]!.changes[0]!.value.messages[0]!;
  message.id = opts.id ?? `wamid.IN${String(nextId()).padStart(6, "0")}${Math.random().toString(36).slice(2, 10)}`;
  message.timestamp = String(Math.floor(opts.date.getTime() / 1000));
  message.text.body = opts.text;
  return hook;
}

/** A Cloud API status of one wamid; `failed` with the errors given (e.g. 131026). */
export function cloudStatusHook(wamid: string, status: "sent" | "delivered" | "read" | "failed", date: Date, errors?: unknown[]): Record<string, unknown> {
  const hook = structuredClone(statusSent) as typeof statusSent;
  const value = hook.entry[0]!.changes[0]!.value;
  const item: Record<string, unknown> = { id: wamid, status, timestamp: String(Math.floor(date.getTime() / 1000)), recipient_id: WA_CLIENT.phone };
  if (status !== "failed") Object.assign(item, { conversation: value.statuses[0]!.conversation, pricing: value.statuses[0]!.pricing });
  if (errors) item.errors = errors;
  (value as { statuses: unknown[] }).statuses = [item];
  return hook;
}

/** POSTs a Cloud API webhook signed with the app secret; `signature` replaces the header, null leaves it out. */
export function postCloudHook(app: Fetcher, hookSecret: string, body: unknown, signature?: string | null): Promise<Response> {
  const signed = signedWebhook(body as object);
  const header = signature === undefined ? signed.headers!["x-hub-signature-256"]! : signature;
  return Promise.resolve(
    app.request(`/hooks/whatsapp-cloud/${hookSecret}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(header !== null ? { "x-hub-signature-256": header } : {}) },
      body: signed.body as string,
    }),
  );
}
