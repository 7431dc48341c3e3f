import { z } from "zod";
import { type ChannelState, ProviderPermanentError, ProviderRetryableError } from "../types.js";
import { type Ctx, sessionPath, WahaSessionMissing, wahaCall } from "./client.js";
import { pairingCodeSchema, qrAnswerSchema, sessionInfoSchema, type WahaSessionConfig, type WahaSessionInfo, type WahaWebhookConfig } from "./schema.js";

/** The channelSecret purpose of the HMAC key WAHA signs our webhooks with (channels-next.md 3 "Webhooks and HMAC"). */
export const HMAC_PURPOSE = "waha-hmac";

/**
 * The events we parse (webhook.ts). `message.any` instead of `message`: it carries the owner's
 * own messages too (`source: app`, mirrored to the CRM like Green-API's outgoingMessageReceived),
 * and subscribing both would deliver every client message twice (channels-next.md 6, waha#1384).
 */
export const WEBHOOK_EVENTS = ["message.any", "message.ack", "message.reaction", "session.status"] as const;

/**
 * Defaults when `retries` is omitted are not documented [U]: set explicitly. Exponential from 2 s
 * over 10 attempts spans about half an hour, long enough for a restart of chatbridge.
 */
const RETRIES = { policy: "exponential", delaySeconds: 2, attempts: 10 } as const;

/** The webhook entry we keep in the session's config. */
export async function ourWebhook(ctx: Ctx, url: string): Promise<WahaWebhookConfig> {
  return { url, events: [...WEBHOOK_EVENTS], hmac: { key: await ctx.channelSecret(HMAC_PURPOSE) }, retries: { ...RETRIES } };
}

/**
 * Session status -> channel state (channels-next.md 3 "Channel = session"). FAILED is what a
 * session becomes when its QR codes ran out unscanned or WhatsApp refused the login: nothing is
 * sent until a person restarts it and logs in again, so it is `unauthorized` (a state that
 * blocks sends and, later, triggers failover), not `unknown`. The passkey steps of GOWS also
 * wait for a person at the phone, like a QR. STOPPED is `unknown`: the session exists but
 * nobody runs it; describe() and qr() start it.
 */
export function channelStateOf(status: string): ChannelState {
  switch (status) {
    case "WORKING":
      return "connected";
    case "SCAN_QR_CODE":
    case "PASSKEY_REQUIRED":
    case "PASSKEY_CONFIRMATION_REQUIRED":
      return "qr_required";
    case "STARTING":
      return "connecting";
    case "FAILED":
      return "unauthorized";
    default:
      return "unknown";
  }
}

export function getSession(ctx: Ctx): Promise<WahaSessionInfo> {
  return wahaCall(ctx, sessionPath(ctx), sessionInfoSchema);
}

async function createSession(ctx: Ctx): Promise<WahaSessionInfo> {
  // with the hook URL known, the webhook is set at once and configureWebhook finds nothing to change
  const webhooks = ctx.hookUrl ? [await ourWebhook(ctx, ctx.hookUrl)] : [];
  return wahaCall(ctx, "/api/sessions", sessionInfoSchema, {
    method: "POST",
    body: { name: ctx.credentials.session, start: true, ...(webhooks.length ? { config: { webhooks } } : {}) },
  });
}

/**
 * The credentials' session as it is on the server, created (and started) when missing, started
 * when stopped: adding a channel is all an admin does, the QR code follows.
 */
export async function ensureSession(ctx: Ctx): Promise<WahaSessionInfo & { created?: boolean }> {
  let session: WahaSessionInfo;
  try {
    session = await getSession(ctx);
  } catch (err) {
    if (!(err instanceof WahaSessionMissing)) throw err;
    try {
      return { ...(await createSession(ctx)), created: true };
    } catch (createErr) {
      // another process created it between the two calls (422 "already exists. Use PUT")
      if (!(createErr instanceof ProviderPermanentError && /already exists/i.test(createErr.message))) throw createErr;
      session = await getSession(ctx);
    }
  }
  if (session.status === "STOPPED") return wahaCall(ctx, sessionPath(ctx, "/start"), sessionInfoSchema, { method: "POST" });
  return session;
}

const sameWebhook = (a: WahaWebhookConfig, b: WahaWebhookConfig) =>
  a.url === b.url && JSON.stringify([...(a.events ?? [])].sort()) === JSON.stringify([...(b.events ?? [])].sort()) && a.hmac?.key === b.hmac?.key;

/** Another hook of this channel (before its hook secret was regenerated): same origin, our receiver path. */
function isOurReceiver(webhookUrl: string, ours: string): boolean {
  try {
    const a = new URL(webhookUrl);
    const b = new URL(ours);
    return a.origin === b.origin && a.pathname.startsWith("/hooks/waha/");
  } catch {
    return false;
  }
}

/**
 * The session's config with our webhook in it, everything else kept (proxy, metadata, other
 * webhooks of the admin's own); null when it already has it. `PUT` takes the full config.
 */
export function withOurWebhook(config: WahaSessionConfig | null | undefined, ours: WahaWebhookConfig): WahaSessionConfig | null {
  const current = config?.webhooks ?? [];
  const others = current.filter((w) => !isOurReceiver(w.url, ours.url));
  const mine = current.filter((w) => isOurReceiver(w.url, ours.url));
  if (mine.length === 1 && sameWebhook(mine[0]!, ours)) return null;
  return { ...config, webhooks: [...others, ours] };
}

/**
 * Sets the session's webhook to our receiver: `PUT /api/sessions/{session}` with the whole
 * config (it restarts a running session, so it is skipped when nothing changes), the session
 * created when missing and started when stopped.
 */
export async function configureSessionWebhook(ctx: Ctx, url: string): Promise<void> {
  const ours = await ourWebhook(ctx, url);
  const session = await ensureSession(ctx);
  const config = withOurWebhook(session.config, ours);
  if (!config) return;
  const updated = await wahaCall(ctx, sessionPath(ctx), sessionInfoSchema, { method: "PUT", body: { config } });
  // PUT starts the session again only if it was running (sessions.controller update)
  if (updated.status === "STOPPED") await wahaCall(ctx, sessionPath(ctx, "/start"), sessionInfoSchema, { method: "POST" });
}

/**
 * The login QR as a data URL, null when logged in. The QR exists only in SCAN_QR_CODE and
 * rotates (60 s, then 20 s, 6 codes, then FAILED): nothing is cached; a stopped or failed
 * session is (re)started and the caller asks again a moment later.
 */
export async function loginQr(ctx: Ctx): Promise<{ dataUrl: string } | null> {
  const session = await getSession(ctx);
  if (session.status === "WORKING") return null;
  if (session.status === "STOPPED" || session.status === "FAILED") {
    await wahaCall(ctx, sessionPath(ctx, session.status === "STOPPED" ? "/start" : "/restart"), sessionInfoSchema, { method: "POST" });
    throw new ProviderRetryableError("not_connected", `the WAHA session was ${session.status}: it is starting, the QR code follows in a few seconds`, 5_000);
  }
  if (session.status !== "SCAN_QR_CODE") {
    throw new ProviderRetryableError("not_connected", `the WAHA session is ${session.status}: no QR code to show yet`, 5_000);
  }
  const qr = await wahaCall(ctx, `/api/${encodeURIComponent(ctx.credentials.session)}/auth/qr`, qrAnswerSchema, {
    query: { format: "image" },
    headers: { accept: "application/json" },
  });
  return { dataUrl: `data:${qr.mimetype};base64,${qr.data}` };
}

const phoneSchema = z.string().regex(/^\d{10,15}$/);

/**
 * Pairing-code login (channels-next.md 3: `POST /api/{session}/auth/request-code`): the code the
 * owner types on the phone (WhatsApp > Linked devices > Link with phone number) instead of
 * scanning the QR. Only while the session waits for a login; the docs say to keep the QR as the
 * fallback. Null when the session is already logged in (WORKING), as loginQr answers.
 */
export async function requestPairingCode(ctx: Ctx, phone: string): Promise<{ code: string } | null> {
  if (!phoneSchema.safeParse(phone).success) throw new ProviderPermanentError("bad_number", `not a phone number in international format: ${phone}`);
  const session = await getSession(ctx);
  if (session.status === "WORKING") return null;
  if (session.status !== "SCAN_QR_CODE") {
    throw new ProviderRetryableError("not_connected", `the WAHA session is ${session.status}: a pairing code can be asked once it waits for a login`, 5_000);
  }
  return wahaCall(ctx, `/api/${encodeURIComponent(ctx.credentials.session)}/auth/request-code`, pairingCodeSchema, {
    method: "POST",
    body: { phoneNumber: phone },
  });
}
