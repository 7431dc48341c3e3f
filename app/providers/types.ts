import type { z } from "zod";
import type { Config } from "../config.js";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import { PermanentError, RetryableError } from "../core/outbox/types.js";

export type Messenger = "whatsapp" | "telegram";

/** Normalised channel states shown to admins (reference/providers.md section 8). */
export type ChannelState = "connected" | "qr_required" | "connecting" | "banned" | "unauthorized" | "unknown";

export type DeliveryStatus = "sent" | "delivered" | "read" | "failed";

export interface Capabilities {
  text: boolean;
  fileByUrl: boolean;
  fileUpload: boolean;
  checkPhone: boolean;
  qrLogin: boolean;
  /**
   * The number can also log in by pairing code: `pairingCode()` asks for the 8 characters the
   * owner types on the phone instead of scanning the QR (WAHA, Evolution API). Absent: false.
   */
  pairingLogin?: boolean;
  deliveryStatus: boolean;
  readStatus: boolean;
  messengers: Messenger[];
  /** how inbound events reach us: pushed to /hooks, fetched by polling, or pulled by a phone */
  inbound: "webhook" | "poll" | "gateway";
  /**
   * The provider's acceptance is the delivery: the message is in the client's chat when the call
   * answers and no receipt follows (a Telegram bot, channels-next.md 1 "Statuses"), so the CRM
   * is told `delivered` at once, never `read`.
   */
  deliveredWhenAccepted?: boolean;
  /**
   * The provider turns the CRM's BB-codes ([b], [url=…]) into its messenger's own formatting
   * (Telegram HTML), so they reach it as typed; others get WhatsApp-style marks. Absent: false.
   */
  formatsBbcode?: boolean;
  /** pre-approved message templates: `templates()` lists them, `SendRequest.template` sends one (WhatsApp Cloud API) */
  templates?: boolean;
  /**
   * Free-form messages may go out only this many hours after the client's last message; outside
   * it only a template (WhatsApp Cloud API: 24, channels-next.md 2 "Templates"). Absent: no window.
   */
  serviceWindowHours?: number;
  /**
   * false: the channel cannot write first to a phone number, only to chats that wrote to it (a
   * Telegram bot: the user must press Start, channels-next.md 1). Absent: true.
   */
  sendsToPhone?: boolean;
}

export interface Pacing {
  minIntervalMs: number;
  jitterMs: number;
}

/** A peer: a phone (digits with country code) or, for Telegram peers without one, a chat id. */
export interface Peer {
  phone?: string;
  chatId?: string;
  name?: string;
  /** the messenger's public handle without "@" (Telegram username), shown in the CRM beside the name */
  username?: string;
}

export type OutgoingContent =
  | { type: "text"; text: string }
  | { type: "file"; url: string; name?: string; mime?: string; caption?: string };

/**
 * A pre-approved message template. WhatsApp Business senders (Devino) may start a conversation or
 * write after the customer's last message is 24 hours old only with one (reference/providers.md 4, 6b).
 */
export interface MessageTemplate {
  /** the template's id or name (WhatsApp Cloud API: its name) */
  id: string;
  /** positional values of the body, `{"1": "…", "2": "…"}` */
  params?: Record<string, string>;
  /** the template's language code; the provider's default when absent */
  language?: string;
  /** values of `{{n}}` in a TEXT header, in order (Cloud API numbers header and body variables apart) */
  headerParams?: string[];
  /** the link of an IMAGE / VIDEO / DOCUMENT header's media */
  headerMediaUrl?: string;
}

/** One template as the provider lists it (WhatsApp Cloud API `GET /{waba-id}/message_templates`). */
export interface TemplateInfo {
  name: string;
  language: string;
  /** MARKETING, UTILITY, AUTHENTICATION */
  category: string;
  /** APPROVED, PENDING, REJECTED, PAUSED, DISABLED…: only APPROVED ones can be sent */
  status: string;
  /** the BODY text with its `{{n}}` variables */
  body: string;
  header?: { format: string; text?: string };
  footer?: string;
  /** how many `{{n}}` variables the header text and the body have: what a sender must fill */
  headerParams: number;
  bodyParams: number;
}

export interface SendRequest {
  to: Peer;
  content: OutgoingContent;
  /** our message id: providers that accept a client reference get it, so a retry is not a duplicate */
  messageId: string;
  /** send this template instead of `content` where the provider has templates; others send `content` */
  template?: MessageTemplate;
  /**
   * Durable progress of a send the provider does in several calls (a long text split in parts):
   * what earlier attempts of this message already sent, kept with the message so a retry in any
   * process or isolate does not send those parts again. Absent in one-off calls (tests, checks).
   */
  progress?: SendProgress;
}

export interface SendProgress {
  /** provider ids of the parts already sent, by part index (holes: not sent) */
  readonly parts: ReadonlyArray<string | null>;
  /** stores that part `index` was sent under `providerId`, before the next part goes out */
  record(index: number, providerId: string): Promise<void>;
}

export interface SendResult {
  providerMessageId: string;
}

export interface IncomingFile {
  url: string;
  name?: string;
  mime?: string;
  /** headers needed to download the file from the provider (re-hosting fetches it with these) */
  headers?: Record<string, string>;
}

export type ProviderEvent =
  | {
      type: "incoming";
      /** stable id of this provider event: the same delivery twice gives the same id */
      eventId: string;
      providerMessageId: string;
      peer: Peer;
      text?: string;
      files: IncomingFile[];
      location?: { latitude: number; longitude: number; name?: string; address?: string };
      contact?: { name: string; phones: string[] };
      at: Date;
      /** written by the channel owner on the phone itself (Wappi `outgoing_message_phone`) */
      fromOwner?: boolean;
      /**
       * the client's own phone number learned in the chat (a Telegram client sharing their own
       * contact): added to the CRM contact; the peer stays keyed by its chat id
       */
      clientPhone?: string;
      /** the client edited an earlier message (`providerMessageId` names it); `text` is the new text */
      edited?: boolean;
    }
  | {
      type: "status";
      eventId: string;
      /**
       * Names our sent message as send() returned it, or, when the status lacks a part of that
       * id (a Green-API status without `chatId`), only its end, made with `providerIdEndingWith`
       */
      providerMessageId: string;
      status: DeliveryStatus;
      reason?: string;
      /** why a failed message failed, in our vocabulary (no_messenger, template_required…) */
      code?: ProviderErrorCode;
      at: Date;
    }
  | { type: "channel_state"; eventId: string; state: ChannelState; detail?: string; at: Date };

/** Marks a status's providerMessageId that gives only the end of the stored id (providerIdEndingWith). */
export const ID_ENDING_MARK = "*";

/**
 * A status names a message by the end of its provider id when a part of the id is missing from
 * the payload: Green-API ids are `chatId_idMessage`, and a status without `chatId` still names
 * `idMessage`, unique enough within the channel. The message is then found among the channel's
 * sent messages whose provider id ends with `tail` (record-status.ts findByProviderId).
 */
export function providerIdEndingWith(tail: string): string {
  return `${ID_ENDING_MARK}${tail}`;
}

/** What a provider receives for one call: its channel and the runtime's services. */
export interface ProviderContext<C> {
  channelId: string;
  credentials: C;
  messenger: Messenger;
  fetch: typeof fetch;
  clock: Clock;
  logger: Logger;
  config: Config;
  /** our receiver URL for this channel (/hooks/<provider>/<secret>), for providers told per message or per setup */
  hookUrl?: string;
  /** per-channel scratch cache (tokens, looked-up user ids) shared by concurrent calls in one process */
  cache: Map<string, unknown>;
  /**
   * A stable secret of this channel for `purpose` (URL-safe, 43 characters), for providers that
   * take a shared secret besides our hook URL: Telegram's `secret_token`, the Cloud API's
   * `hub.verify_token`. The same value on every process and call; it changes only with the hook secret.
   */
  channelSecret(purpose: string): Promise<string>;
}

/** The provider's inbound HTTP request, raw body included so signatures can be checked. */
export interface WebhookRequest {
  method: string;
  headers: Headers;
  query: URLSearchParams;
  body: string;
}

export interface PollOptions {
  /**
   * Provider ids of our sent messages still short of a final status (read or failed). A provider
   * that can only ask for statuses message by message (WAMM `msg_state`) cannot know them from a
   * cursor, and keeping them in memory would not survive a restart or a Workers isolate: the
   * caller reads them from the messages table. Recent ones first; the provider may cap how many it asks.
   */
  outstanding?: readonly string[];
}

export interface Provider<C = unknown> {
  readonly name: string;
  readonly title: string;
  readonly credentials: z.ZodType<C>;
  readonly capabilities: Capabilities;
  readonly pacing: Pacing;
  send(ctx: ProviderContext<C>, req: SendRequest): Promise<SendResult>;
  checkPhone(ctx: ProviderContext<C>, phone: string): Promise<{ exists: boolean; chatId?: string }>;
  status(ctx: ProviderContext<C>): Promise<{ state: ChannelState; detail?: string }>;
  /** QR login image as a data URL, or null when the channel is already logged in */
  qr?(ctx: ProviderContext<C>): Promise<{ dataUrl: string } | null>;
  /**
   * Pairing-code login (capabilities.pairingLogin): the code WhatsApp gives for the owner's
   * `phone` (digits with country code), grouped `ABCD-EFGH` as WhatsApp shows it, to type in
   * WhatsApp > Linked devices > Link a device > Link with phone number instead; null when the
   * channel is already logged in. Throws ProviderRetryableError while the login is not ready.
   */
  pairingCode?(ctx: ProviderContext<C>, phone: string): Promise<{ code: string } | null>;
  /** points the provider's webhook at our receiver, where its API allows it */
  configureWebhook?(ctx: ProviderContext<C>, url: string): Promise<void>;
  /** verifies (beyond the path secret) and parses a webhook; throws WebhookPayloadError for malformed ones */
  parseWebhook(req: WebhookRequest, ctx: ProviderContext<C>): Promise<ProviderEvent[]>;
  /** headers that download a file the provider hosts behind the channel's credentials (IncomingFile.headers) */
  downloadHeaders?(ctx: ProviderContext<C>, url: string): Record<string, string>;
  /**
   * Answers a provider's GET handshake on the hook URL (WhatsApp Cloud API `hub.challenge`):
   * status and plain-text body. Absent: the hook URL takes POST only.
   */
  verifyWebhook?(req: WebhookRequest, ctx: ProviderContext<C>): Promise<{ status: number; body: string }>;
  /**
   * The `channelSecret` purpose of the token an admin pastes beside the hook URL when setting
   * the webhook by hand (the Cloud API's "Verify token" in the Meta app dashboard).
   */
  readonly hookVerifyPurpose?: string;
  /**
   * Files only the provider can fetch: an IncomingFile whose url is `media:<ref>` is turned into
   * a download when it is re-hosted (Telegram `getFile`, Cloud API media id → 5-minute URL). The
   * URL it returns may carry credentials (Telegram's contains the bot token): it is used once and
   * never stored, logged or shown.
   */
  resolveMedia?(ctx: ProviderContext<C>, ref: string): Promise<{ url: string; headers?: Record<string, string>; name?: string; mime?: string }>;
  /**
   * Checks the credentials when a channel is created or its credentials change, and says what
   * the admin should see (bot @username and link, number and quality rating). Throws
   * ProviderPermanentError("invalid_credentials") when the provider refuses them.
   */
  describe?(ctx: ProviderContext<C>): Promise<{ state: ChannelState; info: Record<string, string> }>;
  /** the provider's message templates, every status (capabilities.templates) */
  templates?(ctx: ProviderContext<C>): Promise<TemplateInfo[]>;
  /** providers without push webhooks: fetch new events since the cursor */
  poll?(ctx: ProviderContext<C>, cursor: string | null, opts?: PollOptions): Promise<{ events: ProviderEvent[]; cursor: string | null }>;
}

export type ProviderErrorCode =
  | "network"
  | "server_error"
  | "rate_limited"
  | "timeout"
  | "invalid_credentials"
  | "bad_number"
  | "no_messenger"
  | "banned"
  | "not_connected"
  | "rejected"
  | "bad_request"
  | "unsupported"
  | "bad_response"
  /** the chat or user does not exist for this account (Telegram "chat not found") */
  | "invalid_recipient"
  /** outside the 24-hour customer-service window only a template may be sent (Cloud API 131047) */
  | "template_required"
  /** the template does not exist, is not approved, or its parameters do not fit (Cloud API 132xxx) */
  | "template_invalid";

/** Worth retrying: network trouble, 5xx, 429 (with the provider's delay when it gave one). */
export class ProviderRetryableError extends RetryableError {
  constructor(
    readonly code: ProviderErrorCode,
    message: string,
    delayMs?: number,
  ) {
    // throttling is about the channel's number: the whole channel waits, not only this message
    super(message, delayMs, code === "rate_limited");
  }
}

/** Retrying cannot succeed: the outbox dead-letters the job and the origin is told why. */
export class ProviderPermanentError extends PermanentError {
  declare readonly code: ProviderErrorCode;
  constructor(code: ProviderErrorCode, message: string) {
    super(message, code);
  }
}

/** The webhook body is not something we understand: kept in quarantine, answered 200. */
export class WebhookPayloadError extends Error {
  override readonly name = "WebhookPayloadError";
}
