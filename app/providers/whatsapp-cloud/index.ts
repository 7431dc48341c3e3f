import { splitText } from "../split-text.js";
import { type OutgoingContent, type Provider, ProviderPermanentError, type SendRequest } from "../types.js";
import { type Ctx, graphCall } from "./client.js";
import { MediaFetchFailed } from "./errors.js";
import { mimeOf } from "../file-names.js";
import { mediaKind, mediaObject, resolveMediaRef, uploadFromUrl } from "./media.js";
import { phoneNumberSchema, sendAnswerSchema, successSchema, type WhatsAppCloudCredentials, whatsappCloudCredentialsSchema } from "./schema.js";
import { listTemplates, templateObject } from "./templates.js";
import { parseCloudWebhook, VERIFY_TOKEN_PURPOSE, verifyHandshake } from "./webhook.js";

export type { WhatsAppCloudCredentials } from "./schema.js";

/** `text.body` max 4096 characters (channels-next.md 2 "Outbound"). */
const TEXT_LIMIT = 4096;
const PHONE_FIELDS = "display_phone_number,verified_name,quality_rating,name_status,code_verification_status";

type FileContent = Extract<OutgoingContent, { type: "file" }>;
type Part = { kind: "text"; text: string } | { kind: "file"; file: FileContent } | { kind: "template" };

/** The messages one request becomes, in order: a long text several, a voice note's caption a text after it. */
function plannedParts(req: SendRequest): Part[] {
  // a template replaces the content (types.ts SendRequest.template)
  if (req.template) return [{ kind: "template" }];
  const texts = (text: string): Part[] => splitText(text, TEXT_LIMIT).map((part) => ({ kind: "text", text: part }));
  if (req.content.type === "text") return texts(req.content.text);
  const file = req.content;
  const kind = mediaKind(mimeOf(file));
  // audio and stickers take no caption (channels-next.md 2): it follows as its own message
  if (file.caption && (kind === "audio" || kind === "sticker")) return [{ kind: "file", file }, ...texts(file.caption)];
  return [{ kind: "file", file }];
}

async function postMessage(ctx: Ctx, to: string, type: string, object: Record<string, unknown>): Promise<string> {
  const answer = await graphCall(ctx, `${ctx.credentials.phoneNumberId}/messages`, sendAnswerSchema, {
    method: "POST",
    body: { messaging_product: "whatsapp", recipient_type: "individual", to, type, [type]: object },
  });
  // `wa_id` may differ from the number we sent to (channels-next.md 2); statuses name the wamid
  return answer.messages[0]!.id;
}

async function sendFile(ctx: Ctx, to: string, file: FileContent): Promise<string> {
  const mime = mimeOf(file);
  const kind = mediaKind(mime);
  try {
    return await postMessage(ctx, to, kind, mediaObject(kind, { link: file.url }, file));
  } catch (err) {
    // Meta could not fetch the link (131053 [U: 2nd-hand]): we fetch it and upload the bytes
    if (!(err instanceof MediaFetchFailed)) throw err;
    ctx.logger.info("whatsapp-cloud: Meta could not fetch the file; uploading it", { channelId: ctx.channelId });
    const id = await uploadFromUrl(ctx, file, mime);
    return postMessage(ctx, to, kind, mediaObject(kind, { id }, file));
  }
}

async function sendPart(ctx: Ctx, req: SendRequest, to: string, part: Part): Promise<string> {
  if (part.kind === "text") return postMessage(ctx, to, "text", { body: part.text, preview_url: false });
  if (part.kind === "file") return sendFile(ctx, to, part.file);
  return postMessage(ctx, to, "template", templateObject(req.template!, ctx.credentials.templateLanguage));
}

async function phoneNumber(ctx: Ctx) {
  return graphCall(ctx, ctx.credentials.phoneNumberId, phoneNumberSchema, { query: { fields: PHONE_FIELDS } });
}

export const whatsappCloud: Provider<WhatsAppCloudCredentials> = {
  name: "whatsapp-cloud",
  title: "WhatsApp Cloud API (Meta)",
  credentials: whatsappCloudCredentialsSchema,
  hookVerifyPurpose: VERIFY_TOKEN_PURPOSE,
  capabilities: {
    text: true,
    fileByUrl: true,
    fileUpload: true,
    // no lookup endpoint exists (channels-next.md 2 "Number check")
    checkPhone: false,
    // the number is registered in Meta's tooling, not by QR
    qrLogin: false,
    deliveryStatus: true,
    readStatus: true,
    messengers: ["whatsapp"],
    inbound: "webhook",
    templates: true,
    serviceWindowHours: 24,
  },
  // 80 msg/s per number by default, inbound included (channels-next.md 2 "Limits"): 15 ms apart
  pacing: { minIntervalMs: 15, jitterMs: 0 },

  /**
   * A text over 4096 characters goes out as several messages in order; the result names the
   * LAST one, as WAMM does: its delivered/read status is the one that says the whole text
   * arrived. Each part's id is recorded in the durable send progress before the next goes out,
   * so a retry after a failed middle part does not repeat the start.
   */
  async send(ctx, req) {
    const to = req.to.phone?.replace(/\D/g, "");
    if (!to) throw new ProviderPermanentError("bad_number", "the Cloud API sends to phone numbers only");
    const done: Array<string | null> = [...(req.progress?.parts ?? [])];
    const parts = plannedParts(req);
    for (const [i, part] of parts.entries()) {
      if (typeof done[i] === "string") continue;
      const id = await sendPart(ctx, req, to, part);
      done[i] = id;
      await req.progress?.record(i, id);
    }
    return { providerMessageId: done[parts.length - 1]! };
  },

  async checkPhone() {
    throw new ProviderPermanentError("unsupported", "the Cloud API has no number lookup: send a template and read the status");
  },

  async status(ctx) {
    try {
      const number = await phoneNumber(ctx);
      return { state: "connected", detail: `quality ${number.quality_rating}` };
    } catch (err) {
      if (err instanceof ProviderPermanentError && err.code === "invalid_credentials") {
        return { state: "unauthorized", detail: "Meta refused the access token (expired, revoked or without permission)" };
      }
      if (err instanceof ProviderPermanentError && err.code === "banned") return { state: "banned", detail: err.message.slice(0, 200) };
      throw err;
    }
  },

  async describe(ctx) {
    let number;
    try {
      number = await phoneNumber(ctx);
    } catch (err) {
      // an id the token cannot see answers 100 "Unsupported get request": the credentials do not fit
      if (err instanceof ProviderPermanentError && err.code === "bad_request") {
        throw new ProviderPermanentError("invalid_credentials", `the phone number id is not visible to this token: ${err.message}`);
      }
      throw err;
    }
    return {
      state: "connected",
      info: {
        display_phone_number: number.display_phone_number,
        verified_name: number.verified_name,
        quality_rating: number.quality_rating,
        ...(number.name_status ? { name_status: number.name_status } : {}),
      },
    };
  },

  /**
   * Subscribes the app to the WABA, then points this number's callback at our receiver with our
   * verify token (channels-next.md 2): Meta checks it with the GET handshake (verifyWebhook).
   */
  async configureWebhook(ctx, url) {
    const subscribed = await graphCall(ctx, `${ctx.credentials.wabaId}/subscribed_apps`, successSchema, { method: "POST" });
    if (!subscribed.success) throw new ProviderPermanentError("rejected", "Meta did not subscribe the app to the WhatsApp Business Account");
    const configured = await graphCall(ctx, ctx.credentials.phoneNumberId, successSchema, {
      method: "POST",
      body: { webhook_configuration: { override_callback_uri: url, verify_token: await ctx.channelSecret(VERIFY_TOKEN_PURPOSE) } },
    });
    if (!configured.success) throw new ProviderPermanentError("rejected", "Meta did not set the phone number's callback URL");
  },

  verifyWebhook: verifyHandshake,
  parseWebhook: parseCloudWebhook,
  resolveMedia: resolveMediaRef,
  templates: listTemplates,
};
