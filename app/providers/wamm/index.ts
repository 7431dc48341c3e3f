import {
  type Provider,
  ProviderPermanentError,
  type SendRequest,
  WebhookPayloadError,
} from "../types.js";
import { wammCall } from "./client.js";
import { pollWamm } from "./poll.js";
import { checkPhoneAnswer, lastMessagesAnswer, sentAnswer, type WammCredentials, wammCredentials } from "./schema.js";
import { splitText } from "../split-text.js";


type WammSend = { method: "msg_to"; text: string } | { method: "file_to"; url: string };

/** The WAMM calls one request needs, in order: a long text becomes several, a caption follows its file. */
function plannedSends(req: SendRequest): WammSend[] {
  const texts = (text: string) => splitText(text).map((part): WammSend => ({ method: "msg_to", text: part }));
  if (req.content.type === "text") return texts(req.content.text);
  // file_to takes only a URL (seed 002): the caption goes out as the next message
  return [{ method: "file_to", url: req.content.url }, ...(req.content.caption ? texts(req.content.caption) : [])];
}

export const wamm: Provider<WammCredentials> = {
  name: "wamm",
  title: "WAMM.chat",
  credentials: wammCredentials,
  capabilities: {
    text: true,
    fileByUrl: true,
    fileUpload: false,
    checkPhone: true,
    // the QR is scanned on wamm.chat; its API publishes no QR or state call (reference 6c)
    qrLogin: false,
    deliveryStatus: true,
    readStatus: true,
    messengers: ["whatsapp"],
    inbound: "poll",
  },
  // WAMM dispatches API sends 5–12 s apart itself (seed 002); pacing the same keeps the backlog
  // in our outbox, where it can be seen and retried, rather than in WAMM's queue
  pacing: { minIntervalMs: 5000, jitterMs: 7000 },

  /**
   * Texts over 1500 characters are split at line/word boundaries and sent as several messages in
   * order; the result names the LAST one (its status is the one that says the whole text
   * arrived), the earlier ones are sent too. Each part's id is recorded in the message's durable
   * send progress before the next goes out, so a retry after a failed middle part (in this
   * process or another, or another Workers isolate) does not repeat the start.
   */
  async send(ctx, req) {
    const phone = req.to.phone?.replace(/\D/g, "");
    if (!phone) throw new ProviderPermanentError("bad_number", "WAMM sends to phone numbers only");
    const done: Array<string | null> = [...(req.progress?.parts ?? [])];
    const sends = plannedSends(req);
    for (const [i, part] of sends.entries()) {
      if (typeof done[i] === "string") continue;
      const query = part.method === "msg_to" ? { phone, text: part.text } : { phone, url: part.url };
      const answer = await wammCall(ctx, part.method, query, sentAnswer);
      done[i] = answer.msg_id;
      await req.progress?.record(i, answer.msg_id);
    }
    return { providerMessageId: done[sends.length - 1]! };
  },

  async checkPhone(ctx, phone) {
    const answer = await wammCall(ctx, "check_phone", { phone: phone.replace(/\D/g, "") }, checkPhoneAnswer);
    return { exists: answer.result === "exists" };
  },

  /** No state call exists: one cheap msg_get_last shows whether the token and the session work. */
  async status(ctx) {
    try {
      await wammCall(ctx, "msg_get_last", { col: 1 }, lastMessagesAnswer, ["msgs not be"]);
      return { state: "connected" };
    } catch (err) {
      if (err instanceof ProviderPermanentError && err.code === "not_connected") {
        return { state: "qr_required", detail: "the WhatsApp session is not authorized: scan the QR code on wamm.chat" };
      }
      if (err instanceof ProviderPermanentError && err.code === "invalid_credentials") {
        return { state: "unauthorized", detail: "WAMM refused the API token" };
      }
      throw err;
    }
  },

  /**
   * WAMM never posts webhooks (reference 6c), so whatever reaches /hooks/wamm/… was not sent
   * by WAMM: it is refused into quarantine, where a misconfiguration or a probe is visible,
   * rather than acknowledged as an empty delivery that hides it.
   */
  async parseWebhook() {
    throw new WebhookPayloadError("WAMM has no webhooks: its events are polled");
  },

  poll: pollWamm,
};
