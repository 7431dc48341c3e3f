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
  deliveryStatus: boolean;
  readStatus: boolean;
  messengers: Messenger[];
  /** how inbound events reach us: pushed to /hooks, fetched by polling, or pulled by a phone */
  inbound: "webhook" | "poll" | "gateway";
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
}

export type OutgoingContent =
  | { type: "text"; text: string }
  | { type: "file"; url: string; name?: string; mime?: string; caption?: string };

/**
 * A pre-approved message template. WhatsApp Business senders (Devino) may start a conversation or
 * write after the customer's last message is 24 hours old only with one (reference/providers.md 4, 6b).
 */
export interface MessageTemplate {
  id: string;
  /** positional values, `{"1": "…", "2": "…"}` */
  params?: Record<string, string>;
  /** the template's language code; the provider's default when absent */
  language?: string;
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
    }
  | { type: "status"; eventId: string; providerMessageId: string; status: DeliveryStatus; reason?: string; at: Date }
  | { type: "channel_state"; eventId: string; state: ChannelState; detail?: string; at: Date };

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
  /** points the provider's webhook at our receiver, where its API allows it */
  configureWebhook?(ctx: ProviderContext<C>, url: string): Promise<void>;
  /** verifies (beyond the path secret) and parses a webhook; throws WebhookPayloadError for malformed ones */
  parseWebhook(req: WebhookRequest, ctx: ProviderContext<C>): Promise<ProviderEvent[]>;
  /** headers that download a file the provider hosts behind the channel's credentials (IncomingFile.headers) */
  downloadHeaders?(ctx: ProviderContext<C>, url: string): Record<string, string>;
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
  | "bad_response";

/** Worth retrying: network trouble, 5xx, 429 (with the provider's delay when it gave one). */
export class ProviderRetryableError extends RetryableError {
  constructor(
    readonly code: ProviderErrorCode,
    message: string,
    delayMs?: number,
  ) {
    super(message, delayMs);
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
