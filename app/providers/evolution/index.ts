import { type Provider, ProviderPermanentError } from "../types.js";
import { evolutionCall, instancePath } from "./client.js";
import { describeInstance, instanceQr, instanceStatus, requestPairingCode } from "./instance.js";
import { resolveEvolutionMedia } from "./media.js";
import { type EvolutionCredentials, evolutionCredentialsSchema, webhookSetAnswerSchema, whatsappNumbersAnswerSchema } from "./schema.js";
import { sendEvolution } from "./send.js";
import { parseEvolutionWebhook, WEBHOOK_EVENTS } from "./webhook.js";

export type { EvolutionCredentials } from "./schema.js";
export { type PairingCode, requestPairingCode } from "./instance.js";

export const evolution: Provider<EvolutionCredentials> = {
  name: "evolution",
  title: "Evolution API (self-hosted WhatsApp)",
  credentials: evolutionCredentialsSchema,
  capabilities: {
    text: true,
    fileByUrl: true,
    fileUpload: false,
    checkPhone: true,
    qrLogin: true,
    pairingLogin: true,
    deliveryStatus: true,
    readStatus: true,
    messengers: ["whatsapp"],
    inbound: "webhook",
  },
  // an unofficial WhatsApp Web session: rate limits are not documented (channels-next.md 4 [U]), so paced as Wappi
  pacing: { minIntervalMs: 3000, jitterMs: 2000 },

  send: sendEvolution,

  async checkPhone(ctx, phone) {
    if (!/^\d{10,15}$/.test(phone)) throw new ProviderPermanentError("bad_number", `not a phone number: ${phone}`);
    const answer = await evolutionCall(ctx, instancePath(ctx, "chat/whatsappNumbers"), whatsappNumbersAnswerSchema, {
      method: "POST",
      body: { numbers: [phone] },
    });
    // one number asked, one answer; the server may try country digit variants (Brazil, Mexico) itself
    const [first] = answer;
    if (!first) throw new ProviderPermanentError("bad_response", "Evolution API answered whatsappNumbers with no entry");
    return { exists: first.exists, ...(first.exists && first.jid ? { chatId: first.jid } : {}) };
  },

  status: instanceStatus,
  qr: instanceQr,

  // Evolution passes Baileys' 8 characters on ungrouped (`WZYEH1YY`); WhatsApp shows them as `WZYE-H1YY`
  async pairingCode(ctx, phone) {
    const answer = await requestPairingCode(ctx, phone);
    if (!answer) return null;
    const code = answer.pairingCode;
    return { code: /^[A-Z0-9]{8}$/i.test(code) ? `${code.slice(0, 4)}-${code.slice(4)}` : code };
  },

  describe: describeInstance,

  /**
   * `POST /webhook/set/{instance}` with the nested body of v2.3.x (channels-next.md 4 "Webhooks";
   * the OpenAPI's flat fields are outdated). One URL for all events (`byEvents:false`), only the
   * events we parse, and no base64 media in the bodies (media.ts says why).
   */
  async configureWebhook(ctx, url) {
    const answer = await evolutionCall(ctx, instancePath(ctx, "webhook/set"), webhookSetAnswerSchema, {
      method: "POST",
      body: { webhook: { enabled: true, url, byEvents: false, base64: false, events: [...WEBHOOK_EVENTS] } },
    });
    if (answer.enabled === false || answer.url !== url) throw new ProviderPermanentError("rejected", "Evolution API did not save the webhook");
  },

  parseWebhook: parseEvolutionWebhook,
  resolveMedia: resolveEvolutionMedia,
};
