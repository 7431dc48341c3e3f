import type { z } from "zod";
import { callProvider, type CallOptions } from "../http.js";
import { type Provider, type ProviderContext, ProviderPermanentError } from "../types.js";
import {
  contactCheckAnswerSchema,
  doneAnswerSchema,
  errorBodySchema,
  qrAnswerSchema,
  sendAnswerSchema,
  statusAnswerSchema,
  type WappiCredentials,
  wappiCredentialsSchema,
} from "./schema.js";
import { parseWappiWebhook } from "./webhook.js";

export type { WappiCredentials } from "./schema.js";

type Ctx = ProviderContext<WappiCredentials>;

/** Event types we ask Wappi to push; `outgoing_message_api` would only echo our own sends (section 2). */
const WEBHOOK_TYPES = ["incoming_message", "delivery_status", "outgoing_message_phone", "authorization_status"];

/** WhatsApp profiles answer under /api, Telegram user-account profiles under /tapi (section 2). */
function apiRoot(ctx: Ctx): string {
  const host = ctx.credentials.apiUrl ?? ctx.config.WAPPI_API_URL;
  return `${host}/${ctx.credentials.messenger === "telegram" ? "tapi" : "api"}`;
}

/**
 * Turns Wappi's `{"status":"error","detail":…}` bodies into precise errors (section 2, "Errors"):
 * an unknown profile_id is 404 per the seed but 400 `Profile not found` in practice; a profile
 * called through the other messenger's prefix says `Wrong platform`. 401, 429 and 5xx keep the
 * default mapping.
 */
function refineWappiError(ctx: Ctx) {
  return (status: number, body: unknown): Error | undefined => {
    const parsed = errorBodySchema.safeParse(body);
    if (!parsed.success || status === 401 || status === 403 || status === 429 || status >= 500) return undefined;
    const { detail } = parsed.data;
    if (status < 400 && parsed.data.status !== "error") return undefined;
    if (status === 404 || /profile not found/i.test(detail)) {
      return new ProviderPermanentError("invalid_credentials", `Wappi: ${detail} (check the profile_id)`);
    }
    if (/wrong platform/i.test(detail)) {
      return new ProviderPermanentError(
        "invalid_credentials",
        `Wappi: ${detail} (the profile is not a ${ctx.credentials.messenger} profile)`,
      );
    }
    // "Recipient is not registered in WhatsApp" and its kin: the number has no account (amojo 904) [U: wording]
    if (/not registered|not (on|in) (whatsapp|telegram)|no (whatsapp|telegram) account|does not exist in (whatsapp|telegram)/i.test(detail)) {
      return new ProviderPermanentError("no_messenger", `Wappi: ${detail}`);
    }
    // The wording of "profile not logged in" is [U]; the seed only says sends then fail until re-login.
    if (/not authori[sz]ed|not logged/i.test(detail)) {
      return new ProviderPermanentError("not_connected", `Wappi: ${detail} (scan the QR code again)`);
    }
    return new ProviderPermanentError(status < 400 ? "rejected" : "bad_request", `Wappi: ${detail}`);
  };
}

function call<S extends z.ZodType>(ctx: Ctx, path: string, schema: S, opts: CallOptions = {}): Promise<z.output<S>> {
  return callProvider(
    ctx,
    `${apiRoot(ctx)}/${path}`,
    schema,
    {
      ...opts,
      headers: { authorization: ctx.credentials.apiToken, ...opts.headers },
      query: { profile_id: ctx.credentials.profileId, ...opts.query },
    },
    refineWappiError(ctx),
  );
}

async function status(ctx: Ctx) {
  const answer = await call(ctx, "sync/get/status", statusAnswerSchema);
  return {
    state: answer.authorized ? ("connected" as const) : ("qr_required" as const),
    ...(answer.app_status !== undefined ? { detail: answer.app_status } : {}),
  };
}

export const wappi: Provider<WappiCredentials> = {
  name: "wappi",
  title: "Wappi (WhatsApp, Telegram)",
  credentials: wappiCredentialsSchema,
  capabilities: {
    text: true,
    fileByUrl: true,
    fileUpload: false,
    checkPhone: true,
    qrLogin: true,
    deliveryStatus: true,
    readStatus: true,
    messengers: ["whatsapp", "telegram"],
    inbound: "webhook",
  },
  // Wappi publishes no limits; sends from a personal number are paced to limit ban risk (section 2).
  pacing: { minIntervalMs: 3000, jitterMs: 2000 },

  async send(ctx, req) {
    const { phone, chatId } = req.to;
    // Telegram takes a phone, @username or numeric chat id; a chat id needs no contact lookup there.
    const recipient = ctx.credentials.messenger === "telegram" ? (chatId ?? phone) : (phone ?? chatId);
    if (!recipient) throw new ProviderPermanentError("bad_number", "the recipient has neither a phone nor a chat id");
    const content = req.content;
    const answer =
      content.type === "text"
        ? await call(ctx, "sync/message/send", sendAnswerSchema, { method: "POST", body: { body: content.text, recipient } })
        : await call(ctx, "sync/message/file/url/send", sendAnswerSchema, {
            method: "POST",
            body: {
              recipient,
              url: content.url,
              ...(content.name ? { file_name: content.name } : {}),
              ...(content.caption ? { caption: content.caption } : {}),
            },
            // Wappi downloads the file before the sync call returns
            timeoutMs: 60_000,
          });
    return { providerMessageId: answer.message_id };
  },

  async checkPhone(ctx, phone) {
    const answer = await call(ctx, "sync/contact/check", contactCheckAnswerSchema, { query: { phone } });
    const exists = ctx.credentials.messenger === "telegram" ? answer.on_telegram : answer.on_whatsapp;
    if (exists === undefined) {
      throw new ProviderPermanentError("bad_response", `Wappi contact/check answer has no on_${ctx.credentials.messenger}`);
    }
    return { exists };
  },

  status,

  async qr(ctx) {
    // The QR answer of a logged-in profile is undocumented, so ask the status first.
    if ((await status(ctx)).state === "connected") return null;
    // WhatsApp: get/qr (seed 003); Telegram: auth/qr (section 2, added 2025-02). Answer shape [U].
    const path = ctx.credentials.messenger === "telegram" ? "sync/auth/qr" : "sync/get/qr";
    const { qrCode } = await call(ctx, path, qrAnswerSchema);
    return { dataUrl: qrCode.startsWith("data:") ? qrCode : `data:image/png;base64,${qrCode}` };
  },

  async configureWebhook(ctx, url) {
    // `auth` is not sent: whether Wappi echoes it back in webhooks is [U] (section 2); the secret
    // URL path and the profile_id check authenticate instead.
    await call(ctx, "webhook/url/set", doneAnswerSchema, { method: "POST", query: { url } });
    await call(ctx, "webhook/types/set", doneAnswerSchema, { method: "POST", body: WEBHOOK_TYPES });
  },

  parseWebhook: parseWappiWebhook,
};
