import { fileNameOf } from "../file-names.js";
import type { z } from "zod";
import { type CallOptions, callProvider } from "../http.js";
import { type Provider, type ProviderContext, ProviderPermanentError, ProviderRetryableError } from "../types.js";
import {
  checkWhatsappAnswerSchema,
  type GreenApiCredentials,
  greenApiCredentialsSchema,
  qrAnswerSchema,
  quotaErrorSchema,
  sendAnswerSchema,
  setSettingsAnswerSchema,
  stateAnswerSchema,
} from "./schema.js";
import { channelStateOf, greenApiMessageId, greenApiWebhookToken, parseGreenApiWebhook } from "./webhook.js";

export type { GreenApiCredentials } from "./schema.js";

type Ctx = ProviderContext<GreenApiCredentials>;

/**
 * Green-API specifics on top of the default status mapping (section 1, "Rate limits and errors"):
 * 466 is the plan's quota (monthly calls or the 3-chat limit of the Developer plan), which a
 * retry cannot fix; 400 `bad phone number…` is a bad number, not a bad request.
 */
function refineGreenApiError(status: number, body: unknown): Error | undefined {
  if (status === 466) {
    const quota = quotaErrorSchema.safeParse(body);
    const invoke = quota.success ? quota.data.invokeStatus : undefined;
    const correspondents = quota.success ? quota.data.correspondentsStatus : undefined;
    const detail = [
      invoke?.method && `${invoke.method} ${invoke.used ?? "?"}/${invoke.total ?? "?"}`,
      invoke?.description ?? invoke?.status,
      correspondents?.description ?? correspondents?.status,
    ]
      .filter(Boolean)
      .join("; ");
    return new ProviderPermanentError("rejected", `Green-API plan quota exceeded${detail ? `: ${detail}` : ""}`);
  }
  if (status === 400) {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    if (/bad phone number|phone ?number.*(valid|digits)/i.test(text)) {
      return new ProviderPermanentError("bad_number", `Green-API: ${text.slice(0, 200)}`);
    }
  }
  return undefined;
}

/** `{apiUrl}/waInstance{idInstance}/{method}/{apiTokenInstance}`: the token is a path segment, not a header. */
function call<S extends z.ZodType>(ctx: Ctx, method: string, schema: S, opts: CallOptions = {}): Promise<z.output<S>> {
  const { idInstance, apiTokenInstance, apiUrl } = ctx.credentials;
  const url = `${apiUrl ?? ctx.config.GREENAPI_API_URL}/waInstance${idInstance}/${method}/${encodeURIComponent(apiTokenInstance)}`;
  return callProvider(ctx, url, schema, opts, refineGreenApiError);
}

function chatIdOf(to: { phone?: string; chatId?: string }): string {
  if (to.chatId) return to.chatId;
  if (to.phone && /^\d{10,15}$/.test(to.phone)) return `${to.phone}@c.us`;
  throw new ProviderPermanentError("bad_number", `no WhatsApp chat for recipient ${to.phone ?? "(none)"}`);
}

export const greenapi: Provider<GreenApiCredentials> = {
  name: "greenapi",
  title: "Green-API (WhatsApp)",
  credentials: greenApiCredentialsSchema,
  capabilities: {
    text: true,
    fileByUrl: true,
    fileUpload: false,
    checkPhone: true,
    qrLogin: true,
    deliveryStatus: true,
    readStatus: true,
    messengers: ["whatsapp"],
    inbound: "webhook",
  },
  // Green-API queues sends per instance with its own delay (section 1, "Sending semantics"); we add light pacing.
  pacing: { minIntervalMs: 1000, jitterMs: 500 },

  async send(ctx, req) {
    const chatId = chatIdOf(req.to);
    const content = req.content;
    const answer =
      content.type === "text"
        ? await call(ctx, "sendMessage", sendAnswerSchema, { method: "POST", body: { chatId, message: content.text } })
        : await call(ctx, "sendFileByUrl", sendAnswerSchema, {
            method: "POST",
            body: {
              chatId,
              urlFile: content.url,
              fileName: fileNameOf(content),
              ...(content.caption ? { caption: content.caption } : {}),
            },
          });
    // 200 + idMessage means queued, not delivered (section 1): statuses arrive as outgoingMessageStatus.
    return { providerMessageId: greenApiMessageId(chatId, answer.idMessage) };
  },

  async checkPhone(ctx, phone) {
    if (!/^\d{10,15}$/.test(phone)) throw new ProviderPermanentError("bad_number", `not a phone number: ${phone}`);
    // phoneNumber is an integer in the API (section 1); 15 digits stay exact in a double.
    const answer = await call(ctx, "checkWhatsapp", checkWhatsappAnswerSchema, {
      method: "POST",
      body: { phoneNumber: Number(phone) },
    });
    return { exists: answer.existsWhatsapp, ...(answer.chatId ? { chatId: answer.chatId } : {}) };
  },

  async status(ctx) {
    const { stateInstance } = await call(ctx, "getStateInstance", stateAnswerSchema);
    return { state: channelStateOf(stateInstance), detail: stateInstance };
  },

  async qr(ctx) {
    const answer = await call(ctx, "qr", qrAnswerSchema);
    if (answer.type === "alreadyLogged") return null;
    if (answer.type === "error") throw new ProviderRetryableError("not_connected", `Green-API QR: ${answer.message}`);
    // The QR rotates about every 20 s (section 1): callers poll, nothing is cached.
    return { dataUrl: `data:image/png;base64,${answer.message}` };
  },

  async configureWebhook(ctx, url) {
    const answer = await call(ctx, "setSettings", setSettingsAnswerSchema, {
      method: "POST",
      body: {
        webhookUrl: url,
        webhookUrlToken: await greenApiWebhookToken(ctx.credentials),
        incomingWebhook: "yes",
        outgoingWebhook: "yes",
        outgoingMessageWebhook: "yes",
        // echoes of our own API sends: nothing to bridge, so not worth the webhook queue
        outgoingAPIMessageWebhook: "no",
        stateWebhook: "yes",
      },
    });
    if (!answer.saveSettings) throw new ProviderPermanentError("rejected", "Green-API did not save the webhook settings");
  },

  parseWebhook: parseGreenApiWebhook,
};
