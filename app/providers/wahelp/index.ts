import {
  type ChannelState,
  type Provider,
  type ProviderContext,
  ProviderPermanentError,
  type SendRequest,
} from "../types.js";
import {
  channelListAnswer,
  hookAnswer,
  sentMessageAnswer,
  userAnswer,
  type WahelpCredentials,
  wahelpCredentials,
} from "./schema.js";
import { singleFlight, wahelpCall } from "./session.js";
import { parseWahelpHook } from "./webhook.js";

type Ctx = ProviderContext<WahelpCredentials>;

const projectPath = (ctx: Ctx) => `/api/app/projects/${encodeURIComponent(ctx.credentials.projectId)}`;
const channelPath = (ctx: Ctx) => `${projectPath(ctx)}/channels/${encodeURIComponent(ctx.credentials.channelUuid)}`;

/**
 * The Wahelp user id for a phone. Wahelp cannot send to a bare phone (reference/providers.md 6a:
 * two-level id): the contact is created (or, for a known phone, imported again [U]) first. The
 * id is cached per channel, and concurrent sends to one new phone share one create call.
 */
async function wahelpUserId(ctx: Ctx, phone: string, name?: string): Promise<string> {
  const digits = phone.replace(/\D/g, "");
  const cacheKey = `wahelp:user:${digits}`;
  const known = ctx.cache.get(cacheKey);
  if (typeof known === "string") return known;
  return singleFlight(ctx, `wahelp:user-flight:${digits}`, async () => {
    const answer = await wahelpCall(ctx, `${channelPath(ctx)}/users`, userAnswer, {
      method: "POST",
      // seed 000 §4 writes the phone with a leading '+'
      body: { name: name?.trim() || `+${digits}`, phone: `+${digits}` },
    });
    ctx.cache.set(cacheKey, answer.data.id);
    return answer.data.id;
  });
}

async function recipientUserId(ctx: Ctx, req: SendRequest): Promise<string> {
  if (req.to.phone) return wahelpUserId(ctx, req.to.phone, req.to.name);
  // incoming hook events carry the Wahelp user id as chatId (see webhook.ts)
  if (req.to.chatId) return req.to.chatId;
  throw new ProviderPermanentError("bad_number", "Wahelp needs the recipient's phone or Wahelp user id");
}

export const wahelp: Provider<WahelpCredentials> = {
  name: "wahelp",
  title: "Wahelp",
  credentials: wahelpCredentials,
  capabilities: {
    text: true,
    // the seed says file and template parameters of send_message exist but does not name them
    fileByUrl: false,
    fileUpload: false,
    // creating the contact is the check: Wahelp refuses numbers without the messenger (seed 000 §4)
    checkPhone: true,
    // the QR is scanned in Wahelp's own dashboard; no QR retrieval call is documented (6a)
    qrLogin: false,
    deliveryStatus: true,
    readStatus: true,
    messengers: ["whatsapp", "telegram"],
    inbound: "webhook",
  },
  // Wahelp publishes no rate limits [U]: a gentle pace for a QR-based (WhatsApp Web) channel
  pacing: { minIntervalMs: 1000, jitterMs: 1000 },

  async send(ctx, req) {
    if (req.content.type !== "text") {
      throw new ProviderPermanentError("unsupported", "Wahelp's file parameters are not documented (reference/providers.md 6a)");
    }
    const userId = await recipientUserId(ctx, req);
    const answer = await wahelpCall(ctx, `${channelPath(ctx)}/send_message/${encodeURIComponent(userId)}`, sentMessageAnswer, {
      method: "POST",
      body: { text: req.content.text },
    });
    return { providerMessageId: answer.data.id };
  },

  async checkPhone(ctx, phone) {
    try {
      return { exists: true, chatId: await wahelpUserId(ctx, phone) };
    } catch (err) {
      if (err instanceof ProviderPermanentError && err.code === "no_messenger") return { exists: false };
      throw err;
    }
  },

  /**
   * The channel's `active` flag (seed 000 §3: false until the QR code is scanned). The seed only
   * shows channels being created; listing them with GET on the same collection is the plausible
   * read [U].
   */
  async status(ctx) {
    const listed = await wahelpCall(ctx, `${projectPath(ctx)}/channels`, channelListAnswer).catch((err: unknown) => {
      if (err instanceof ProviderPermanentError && err.code === "invalid_credentials") return err;
      throw err;
    });
    if (listed instanceof ProviderPermanentError) return { state: "unauthorized", detail: listed.message };
    const channels = listed.data;
    const channel = channels.find((c) => c.uuid === ctx.credentials.channelUuid);
    if (!channel) return { state: "unknown", detail: `channel ${ctx.credentials.channelUuid} is not in project ${ctx.credentials.projectId}` };
    const state: ChannelState = channel.active ? "connected" : "qr_required";
    return state === "connected" ? { state } : { state, detail: "scan the QR code in the Wahelp dashboard" };
  },

  /** One hook per project (seed 000 §7): every channel of the project posts to it. */
  async configureWebhook(ctx, url) {
    await wahelpCall(ctx, `${projectPath(ctx)}/hook`, hookAnswer, { method: "PUT", body: { url } });
  },

  async parseWebhook(req, ctx) {
    return parseWahelpHook(req.body, ctx.credentials.channelUuid, ctx.clock.now());
  },
};
