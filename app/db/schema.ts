import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
const createdAt = () => ts("created_at").notNull().defaultNow();
const updatedAt = () => ts("updated_at").notNull().defaultNow();

/** A Bitrix24 portal (member_id) or an amoCRM account (account id) that installed the app. */
export const portals = pgTable(
  "portals",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    crm: text("crm", { enum: ["bitrix24", "amocrm"] }).notNull(),
    externalId: text("external_id").notNull(),
    domain: text("domain").notNull(),
    accessTokenEnc: text("access_token_enc"),
    refreshTokenEnc: text("refresh_token_enc"),
    tokenExpiresAt: ts("token_expires_at"),
    serverEndpoint: text("server_endpoint"),
    applicationTokenEnc: text("application_token_enc"),
    /** while set and in the future, one process is exchanging the refresh token (single-use) */
    refreshLeaseUntil: ts("refresh_lease_until"),
    status: text("status", { enum: ["active", "needs_reinstall", "uninstalled"] })
      .notNull()
      .default("active"),
    settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    uninstalledAt: ts("uninstalled_at"),
  },
  (t) => [uniqueIndex("portals_crm_external_uq").on(t.crm, t.externalId)],
);

/** A messenger channel: one provider account (number or bot) connected by a portal. */
export const channels = pgTable(
  "channels",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    portalId: uuid("portal_id").references(() => portals.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    name: text("name").notNull(),
    messenger: text("messenger", { enum: ["whatsapp", "telegram"] }).notNull().default("whatsapp"),
    credentialsEnc: text("credentials_enc").notNull(),
    state: text("state").notNull().default("unknown"),
    stateCheckedAt: ts("state_checked_at"),
    /** what the last status check or phone heartbeat said beyond the state (battery, reason) */
    stateDetail: jsonb("state_detail").$type<Record<string, unknown>>(),
    /** hash of the secret in /hooks/<provider>/<secret> */
    hookSecretHash: text("hook_secret_hash"),
    /** the same secret encrypted, to show the admin the URL to paste into the provider's console */
    hookSecretEnc: text("hook_secret_enc"),
    paceMinMs: integer("pace_min_ms"),
    /** providers without push webhooks (WAMM): where polling left off */
    pollCursor: text("poll_cursor"),
    pollIntervalMs: integer("poll_interval_ms"),
    paceJitterMs: integer("pace_jitter_ms"),
    /**
     * Channels of the same portal that send in this one's place, in order, while it cannot
     * (core/failover.ts): its state blocks sending, or the provider keeps failing.
     */
    fallbackIds: uuid("fallback_ids").array().notNull().default(sql`'{}'::uuid[]`),
    /** at most this many messages a day (the portal's time zone); null = no cap */
    dailyMessageCap: integer("daily_message_cap"),
    /** at most this many first messages to numbers that never wrote to this channel a day; null = no cap */
    dailyNewChatCap: integer("daily_new_chat_cap"),
    /** what a send over a cap does: wait for the next day, or go out through a fallback channel */
    capOverflow: text("cap_overflow", { enum: ["wait", "fallback"] }).notNull().default("wait"),
    /** retryable send failures in a row, and when the first of them happened (the down detector) */
    sendFailures: integer("send_failures").notNull().default(0),
    failingSince: ts("failing_since"),
    lastSendFailureAt: ts("last_send_failure_at"),
    /** when its messages began going out through a fallback; null while it sends itself */
    failoverSince: ts("failover_since"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: ts("deleted_at"),
  },
  (t) => [
    index("channels_portal_idx").on(t.portalId),
    uniqueIndex("channels_hook_secret_uq").on(t.hookSecretHash),
    // which channel a fallback belongs to, asked on every provider webhook with a client message (fallback_ids @> array[id])
    index("channels_fallback_ids_idx").using("gin", t.fallbackIds),
  ],
);

/** Channel <-> Bitrix24 Open Line or amojo scope. */
export const lineBindings = pgTable(
  "line_bindings",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    channelId: uuid("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    crm: text("crm", { enum: ["bitrix24", "amocrm"] }).notNull(),
    /** Open Line id (Bitrix24) or amojo scope_id (amoCRM) */
    lineId: text("line_id").notNull(),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
    active: boolean("active").notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("line_bindings_channel_crm_uq").on(t.channelId, t.crm),
    index("line_bindings_line_idx").on(t.crm, t.lineId),
  ],
);

/** Secret tokens of the public webhook API (/rest/webhook/<kind>/<token>/...). */
export const webhookTokens = pgTable(
  "webhook_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    channelId: uuid("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull(),
    tokenEnc: text("token_enc").notNull(),
    /** methods this token may call; empty = all */
    scopes: text("scopes").array().notNull().default(sql`'{}'::text[]`),
    createdAt: createdAt(),
    revokedAt: ts("revoked_at"),
  },
  (t) => [uniqueIndex("webhook_tokens_hash_uq").on(t.tokenHash), index("webhook_tokens_channel_idx").on(t.channelId)],
);

/** One client of one channel, and where it lives in the CRM. */
export const conversations = pgTable(
  "conversations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    channelId: uuid("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    /** normalised phone digits, or the messenger chat id for peers without a phone */
    peer: text("peer").notNull(),
    peerPhone: text("peer_phone"),
    peerName: text("peer_name"),
    /** the messenger handle (Telegram @username, without "@") */
    peerUsername: text("peer_username"),
    /**
     * when the client last wrote: opens the provider's customer-service window (WhatsApp Cloud
     * API: free-form messages only within 24 h of it, channels-next.md 2 "Templates")
     */
    lastInboundAt: ts("last_inbound_at"),
    /**
     * the channel of the group (core/failover.ts) the client last wrote to, when it is not this
     * conversation's own: replies go back through it unless it is blocked
     */
    lastInboundVia: uuid("last_inbound_via"),
    /** when a message to this client first went out through this channel (the new-chats cap) */
    firstSentAt: ts("first_sent_at"),
    crmChatId: text("crm_chat_id"),
    crmSessionId: text("crm_session_id"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("conversations_channel_peer_uq").on(t.channelId, t.peer)],
);

export type MessageStatus = "queued" | "sent" | "delivered" | "read" | "failed";
export interface StatusEntry {
  status: MessageStatus;
  at: string;
  reason?: string;
}
/** A template send (WhatsApp Cloud API): what the provider gets instead of the body. */
export interface MessageTemplateRef {
  name: string;
  language?: string;
  /** body variables in order ({{1}}, {{2}}…) */
  params: string[];
  headerParams?: string[];
  headerMediaUrl?: string;
}

export interface MessageFile {
  url: string;
  name?: string;
  mime?: string;
  size?: number;
  /** the provider's own link needs the channel's credentials to download (never stored here) */
  auth?: boolean;
  /** our copy in `files`, once re-hosted for a CRM to download */
  hostedId?: string;
}

export const messages = pgTable(
  "messages",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    channelId: uuid("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    conversationId: uuid("conversation_id").references(() => conversations.id, { onDelete: "set null" }),
    direction: text("direction", { enum: ["in", "out"] }).notNull(),
    origin: text("origin", {
      enum: ["webhook_api", "openlines", "robot", "sms", "amojo", "salesbot", "dp", "provider", "phone", "admin"],
    }).notNull(),
    peer: text("peer").notNull(),
    body: text("body"),
    file: jsonb("file").$type<MessageFile>(),
    /**
     * a client's edit of an earlier message of theirs (that message's id): the CRM shows it as an
     * edit of the message it already has, or as a new message marked edited when it has none
     */
    editOf: uuid("edit_of"),
    /** set for a template send; `body` then holds the template's text with its values filled in, for people to read */
    template: jsonb("template").$type<MessageTemplateRef>(),
    providerMessageId: text("provider_message_id"),
    crmMessageId: text("crm_message_id"),
    status: text("status", { enum: ["queued", "sent", "delivered", "read", "failed"] })
      .$type<MessageStatus>()
      .notNull()
      .default("queued"),
    statusHistory: jsonb("status_history").$type<StatusEntry[]>().notNull().default([]),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    /**
     * the channel that actually sent (out) or received (in) the message when it is not
     * `channel_id`, the conversation's own: a fallback of the group (core/failover.ts)
     */
    viaChannelId: uuid("via_channel_id"),
    sendToImol: boolean("send_to_imol").notNull().default(false),
    /** phone gateway: a message handed to the phone is leased and offered again if no result comes */
    gatewayLeaseUntil: ts("gateway_lease_until"),
    gatewayAttempts: integer("gateway_attempts").notNull().default(0),
    /** provider ids of the parts already sent, for providers that send a message in several calls (WAMM long texts) */
    sendProgress: jsonb("send_progress").$type<Array<string | null>>(),
    /** unique per origin event: a repeated webhook or event never makes a second message */
    dedupKey: text("dedup_key").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("messages_dedup_uq").on(t.dedupKey),
    index("messages_channel_provider_idx").on(t.channelId, t.providerMessageId),
    index("messages_channel_created_idx").on(t.channelId, t.createdAt),
    index("messages_via_provider_idx")
      .on(t.viaChannelId, t.providerMessageId)
      .where(sql`via_channel_id is not null`),
    index("messages_gateway_queue_idx")
      .on(t.channelId, t.createdAt)
      .where(sql`direction = 'out' and status = 'queued'`),
  ],
);

/**
 * A channel's message templates as its provider last listed them (WhatsApp Cloud API), kept so
 * the settings pages, robots and the Open Lines `/template` command can offer them without a
 * provider call each time. Replaced whole by each sync.
 */
export const channelTemplates = pgTable(
  "channel_templates",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    channelId: uuid("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    language: text("language").notNull(),
    category: text("category").notNull(),
    status: text("status").notNull(),
    body: text("body").notNull(),
    header: jsonb("header").$type<{ format: string; text?: string }>(),
    footer: text("footer"),
    headerParams: integer("header_params").notNull().default(0),
    bodyParams: integer("body_params").notNull().default(0),
    syncedAt: ts("synced_at").notNull(),
  },
  (t) => [uniqueIndex("channel_templates_uq").on(t.channelId, t.name, t.language)],
);

export type JobStatus = "pending" | "running" | "done" | "dead";

export const outboxJobs = pgTable(
  "outbox_jobs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    kind: text("kind").notNull(),
    payload: jsonb("payload").$type<unknown>().notNull(),
    dedupKey: text("dedup_key"),
    /** jobs with the same pace key (a channel) are sent one at a time, spaced out */
    paceKey: text("pace_key"),
    status: text("status", { enum: ["pending", "running", "done", "dead"] })
      .$type<JobStatus>()
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull(),
    runAt: ts("run_at").notNull(),
    leaseToken: uuid("lease_token"),
    leaseUntil: ts("lease_until"),
    lastError: text("last_error"),
    /** the HTTP request that created the job (X-Request-Id), so its log lines can be followed across both */
    requestId: text("request_id"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    finishedAt: ts("finished_at"),
  },
  (t) => [
    uniqueIndex("outbox_dedup_uq").on(t.dedupKey),
    index("outbox_due_idx")
      .on(t.runAt)
      .where(sql`status = 'pending'`),
    index("outbox_lease_idx")
      .on(t.leaseUntil)
      .where(sql`status = 'running'`),
    index("outbox_pace_idx")
      .on(t.paceKey, t.runAt)
      .where(sql`status in ('pending', 'running')`),
  ],
);

/** Per-channel pacing state shared by every pump (see core/outbox/claim.ts). */
export const paceSlots = pgTable("pace_slots", {
  key: text("key").primaryKey(),
  minIntervalMs: integer("min_interval_ms").notNull(),
  jitterMs: integer("jitter_ms").notNull(),
  nextAt: ts("next_at").notNull(),
  busyJobId: uuid("busy_job_id"),
  busyUntil: ts("busy_until"),
});

/**
 * What a channel sent on one day of its portal's time zone (core/daily-caps.ts): the daily
 * caps are checked and counted here in one statement, so they hold across processes.
 */
export const channelDailyUsage = pgTable(
  "channel_daily_usage",
  {
    channelId: uuid("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    day: text("day").notNull(),
    messages: integer("messages").notNull().default(0),
    newChats: integer("new_chats").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.day] })],
);

/**
 * What an administrator should know happened to a channel (a failover, its recovery, a cap
 * reached), shown in the channel's event list; one row per occurrence (dedup key).
 */
export const channelEvents = pgTable(
  "channel_events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    channelId: uuid("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: ["failover", "recovered", "cap_reached"] }).notNull(),
    text: text("text").notNull(),
    data: jsonb("data").$type<Record<string, string>>().notNull().default({}),
    dedupKey: text("dedup_key").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("channel_events_dedup_uq").on(t.dedupKey), index("channel_events_channel_idx").on(t.channelId, t.createdAt)],
);

/** Sliding-window rate limits: the epoch-ms times of the hits inside the window. */
export const rateBuckets = pgTable("rate_buckets", {
  key: text("key").primaryKey(),
  hits: bigint("hits", { mode: "number" }).array().notNull(),
  updatedAt: updatedAt(),
});

/** Media re-hosted for CRMs to download (GET /files/<id>/<signature>). */
export const files = pgTable(
  "files",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    portalId: uuid("portal_id").references(() => portals.id, { onDelete: "cascade" }),
    storageKey: text("storage_key").notNull(),
    name: text("name").notNull(),
    mime: text("mime").notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    sha256: text("sha256").notNull(),
    createdAt: createdAt(),
    expiresAt: ts("expires_at"),
  },
  (t) => [index("files_expires_idx").on(t.expiresAt)],
);

/**
 * Authenticated provider webhooks we could not parse: answered 200 so the provider stops
 * retrying, kept here for inspection instead of being lost.
 */
export const webhookQuarantine = pgTable(
  "webhook_quarantine",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    channelId: uuid("channel_id").references(() => channels.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    contentType: text("content_type"),
    body: text("body").notNull(),
    error: text("error").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("webhook_quarantine_channel_idx").on(t.channelId, t.createdAt)],
);

/**
 * Bearer sessions of the admin API (DESIGN.md "Admin API"): issued after the CRM frame proved
 * an admin of the portal; only the token's hash is kept, so a database leak opens no session.
 */
export const adminSessions = pgTable(
  "admin_sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    portalId: uuid("portal_id")
      .notNull()
      .references(() => portals.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull(),
    /** the CRM user who opened the settings page */
    userId: text("user_id").notNull(),
    expiresAt: ts("expires_at").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("admin_sessions_token_hash_uq").on(t.tokenHash), index("admin_sessions_expires_idx").on(t.expiresAt)],
);
