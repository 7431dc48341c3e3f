import { fileNameOf, mimeOf } from "../file-names.js";
import { z } from "zod";
import { callProvider } from "../http.js";
import {
  type MessageTemplate,
  type Provider,
  type ProviderContext,
  ProviderPermanentError,
  type SendRequest,
} from "../types.js";
import { devinoRejection } from "./errors.js";
import {
  type DevinoCredentials,
  type DevinoOutgoingMessage,
  devinoCredentials,
  devinoResult,
  devinoSendAnswer,
} from "./schema.js";
import { parseDevinoHook } from "./webhook.js";

type Ctx = ProviderContext<DevinoCredentials>;

function baseUrl(ctx: Ctx): string {
  const base = ctx.credentials.apiUrl ?? ctx.config.DEVINO_API_URL;
  if (!base) throw new ProviderPermanentError("bad_request", "the Devino API URL is not configured (DEVINO_API_URL)");
  return base;
}
const authHeaders = (ctx: Ctx) => ({ authorization: `Key ${ctx.credentials.apiKey}` });

/** Devino refuses template values with line breaks, tabs or four spaces in a row (seed 002). */
function cleanTemplateValue(value: string): string {
  return value.replace(/[\r\n\t]+/g, " ").replace(/ {4,}/g, "   ").trim();
}

/** One `messages[]` entry for our request; the template, when given, replaces the content. */
function devinoMessage(ctx: Ctx, req: SendRequest, to: string): DevinoOutgoingMessage {
  const base: DevinoOutgoingMessage = {
    from: ctx.credentials.from,
    to,
    // our id comes back in the status callback's `options`, tying it to our row even before
    // the send answer was stored
    callbackData: req.messageId,
    ...((ctx.credentials.callbackUrl ?? ctx.hookUrl) ? { callbackUrl: ctx.credentials.callbackUrl ?? ctx.hookUrl } : {}),
  };
  if (req.template) return { ...base, ...templateFields(ctx, req.template) };
  if (req.content.type === "text") return { ...base, text: req.content.text };
  const name = fileNameOf(req.content);
  const mime = mimeOf({ ...req.content, name });
  return {
    ...base,
    contentUrl: req.content.url,
    contentName: name,
    ...(mime ? { contentType: mime } : {}),
    // a caption travels as the message text [U]: the seed lists text and content side by side
    ...(req.content.caption ? { text: req.content.caption } : {}),
  };
}

function templateFields(ctx: Ctx, template: MessageTemplate): Partial<DevinoOutgoingMessage> {
  const language = template.language ?? ctx.credentials.templateLanguage;
  return {
    templateId: template.id,
    templateParams: Object.fromEntries(Object.entries(template.params ?? {}).map(([k, v]) => [k, cleanTemplateValue(v)])),
    ...(language ? { languageCode: language } : {}),
  };
}

/** A REJECTED batch answer may come with a 4xx status too [U]: it is mapped the same way. */
function refineDevinoError(status: number, body: unknown): Error | undefined {
  if (status < 400 || status === 401 || status === 403 || status === 429 || status >= 500) return undefined;
  const answer = devinoSendAnswer.safeParse(body);
  const rejected = answer.success ? answer.data.result.find((r) => r.code === "REJECTED") : undefined;
  return rejected ? devinoRejection(rejected) : undefined;
}

/** Raised by the status probe's refine hook: Devino validated the (empty) batch, so the key works. */
class KeyAccepted extends Error {}

export const devino: Provider<DevinoCredentials> = {
  name: "devino",
  title: "Devino (WhatsApp Business API)",
  credentials: devinoCredentials,
  capabilities: {
    text: true,
    fileByUrl: true,
    fileUpload: false,
    // no has-WhatsApp call: error 2305 in the status callback says it afterwards (6b)
    checkPhone: false,
    qrLogin: false,
    deliveryStatus: true,
    readStatus: true,
    messengers: ["whatsapp"],
    inbound: "webhook",
  },
  // WhatsApp Business allows about 15 template messages a second (seed 002)
  pacing: { minIntervalMs: 100, jitterMs: 0 },

  /**
   * POST /whatsapp/messages takes a batch; we send one message per call so that each outbox job
   * has its own result, and read the one-entry `result[]` answer.
   */
  async send(ctx, req) {
    const to = req.to.phone?.replace(/\D/g, "");
    if (!to) throw new ProviderPermanentError("bad_number", "Devino sends to phone numbers only");
    const answer = await callProvider(
      ctx,
      `${baseUrl(ctx)}/whatsapp/messages`,
      devinoSendAnswer,
      { method: "POST", headers: authHeaders(ctx), body: { messages: [devinoMessage(ctx, req, to)] } },
      refineDevinoError,
    );
    const result = answer.result[0]!;
    if (result.code === "REJECTED") throw devinoRejection(result);
    if (!result.messageId) throw new ProviderPermanentError("bad_response", "Devino accepted the message without a messageId");
    return { providerMessageId: result.messageId };
  },

  async checkPhone() {
    throw new ProviderPermanentError("unsupported", "Devino has no has-WhatsApp check; error 2305 reports it after sending");
  },

  /**
   * WABA senders have no QR or session state: the channel is connected when the key works. The
   * probe is an empty batch, which Devino must refuse ("must.be.not.null messages", seed 002)
   * without sending anything; a 401/403 means the key is wrong [U: the check order is assumed].
   */
  async status(ctx) {
    try {
      await callProvider(
        ctx,
        `${baseUrl(ctx)}/whatsapp/messages`,
        z.object({ result: z.array(devinoResult) }),
        { method: "POST", headers: authHeaders(ctx), body: { messages: [] } },
        (status) => (status >= 400 && status < 500 && status !== 401 && status !== 403 && status !== 429 ? new KeyAccepted() : undefined),
      );
      return { state: "connected" };
    } catch (err) {
      if (err instanceof KeyAccepted) return { state: "connected" };
      if (err instanceof ProviderPermanentError && err.code === "invalid_credentials") {
        return { state: "unauthorized", detail: "Devino refused the API key" };
      }
      throw err;
    }
  },

  async parseWebhook(req, ctx) {
    return parseDevinoHook(req.body, {
      apiHost: new URL(baseUrl(ctx)).host,
      apiKey: ctx.credentials.apiKey,
      now: ctx.clock.now(),
    });
  },

  // media on Devino's own host needs the API key [U]; the key never goes to any other host
  downloadHeaders(ctx, url) {
    return new URL(url).host === new URL(baseUrl(ctx)).host ? authHeaders(ctx) : {};
  },
};
