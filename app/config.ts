import { z } from "zod";
import { LOG_LEVELS } from "./core/logger.js";
import { KeyringError, parseKeySpec } from "./core/secrets.js";

/**
 * Every environment variable chatbridge reads, with its default. The names are a contract
 * (README's config table, wrangler.toml, marketplace install guides): keep them.
 */
const url = (def?: string) => {
  const u = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).transform((s) => s.replace(/\/+$/, ""));
  return def === undefined ? u.optional() : u.default(def);
};
const bool = (def: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no"], { error: "must be true or false" })
    .transform((v) => v === "true" || v === "1" || v === "yes")
    .default(def);
const int = (def: number, min: number, max: number) =>
  z.coerce
    .number({ error: "must be a whole number" })
    .int({ error: "must be a whole number" })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` })
    .default(def);
const optionalText = z.string().min(1).optional();

export const configSchema = z.object({
  PORT: int(3000, 0, 65535),
  PUBLIC_URL: url(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { error: "must be a postgres:// or postgresql:// URL" })
    .optional(),
  DATA_DIR: z.string().min(1).default("./data"),
  /** Node on PostgreSQL: connections for HTTP requests, and the job pump's own (worker/node.ts) */
  DATABASE_POOL_SIZE: int(20, 1, 500),
  DATABASE_JOB_POOL_SIZE: int(10, 1, 500),
  /** Node on PostgreSQL: hot statements as named prepared statements (db/hot-statement.ts); off behind a transaction-mode pooler */
  DATABASE_PREPARED_STATEMENTS: bool(true),
  ENCRYPTION_KEY: z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      if (v === undefined) return;
      try {
        parseKeySpec(v);
      } catch (e) {
        ctx.addIssue({ code: "custom", message: e instanceof KeyringError ? e.message : "is invalid" });
      }
    }),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }).default("info"),

  BITRIX24_CLIENT_ID: optionalText,
  BITRIX24_CLIENT_SECRET: optionalText,
  BITRIX24_OAUTH_URL: url("https://oauth.bitrix.info"),
  AMOCRM_CLIENT_ID: optionalText,
  AMOCRM_CLIENT_SECRET: optionalText,
  AMOCRM_REDIRECT_URI: url(),
  AMOCRM_CHAT_CHANNEL_ID: optionalText,
  AMOCRM_CHAT_CHANNEL_SECRET: optionalText,
  AMOCRM_AMOJO_URL: url("https://amojo.amocrm.ru"),
  /** Kommo (kommo.com / amocrm.com) accounts talk to their own chats host (reference/amocrm.md 2.1, 6.1) */
  KOMMO_AMOJO_URL: url("https://amojo.kommo.com"),
  /** a separate Kommo registration (6.1); unset, the AMOCRM_* integration and channel serve Kommo accounts too */
  KOMMO_CLIENT_ID: optionalText,
  KOMMO_CLIENT_SECRET: optionalText,
  KOMMO_CHAT_CHANNEL_ID: optionalText,
  KOMMO_CHAT_CHANNEL_SECRET: optionalText,
  KOMMO_CHAT_BOT_ID: optionalText,
  /** the channel bot's amojo user id (given at channel registration): sender of messages typed on the owner's phone */
  AMOCRM_CHAT_BOT_ID: optionalText,

  WAPPI_API_URL: url("https://wappi.pro"),
  GREENAPI_API_URL: url("https://api.green-api.com"),
  // Wahelp does not publish its API host (reference/providers.md 6a): set it per deployment.
  WAHELP_API_URL: url(),
  DEVINO_API_URL: url("https://api.devino.online"),
  WAMM_API_URL: url("https://wamm.chat"),
  TELEGRAM_API_URL: url("https://api.telegram.org"),
  /** the Graph API base with its version: calls go to `<base>/{phone-number-id}/messages` (channels-next.md 2) */
  WHATSAPP_CLOUD_API_URL: url("https://graph.facebook.com/v23.0"),

  OUTBOUND_ALLOW_LOOPBACK: bool(false),
  /** self-hosted WAHA / Evolution API on a private address next to chatbridge (core/ssrf.ts OutboundPolicy.allowPrivate) */
  OUTBOUND_ALLOW_PRIVATE: bool(false),

  /**
   * How long a process keeps a webhook token's or hook secret's channel (core/lookup-cache.ts):
   * a token revoked through another instance stops working here within this time; 0 = no cache.
   */
  LOOKUP_CACHE_MS: int(2000, 0, 60_000),

  OUTBOX_POLL_MS: int(1000, 50, 60_000),
  OUTBOX_BATCH: int(20, 1, 500),
  OUTBOX_CONCURRENCY: int(16, 1, 256),
  OUTBOX_LEASE_MS: int(60_000, 1000, 3_600_000),
  OUTBOX_MAX_ATTEMPTS: int(8, 1, 100),
  /**
   * A channel is down (its messages go through its fallback channels, core/failover.ts) when
   * its provider failed this many sends in a row with retryable errors...
   */
  FAILOVER_FAILURES: int(3, 1, 1000),
  /** ...over at least this many minutes; 0 = as soon as the count is reached. */
  FAILOVER_MINUTES: int(5, 0, 1440),
  SHUTDOWN_DEADLINE_MS: int(10_000, 0, 300_000),

  /** bearer token of GET /metrics; unset, the route is off (404) */
  METRICS_TOKEN: z.string().min(16, { error: "must be at least 16 characters" }).optional(),
  /** maintenance deletes messages, re-hosted files and dead-lettered jobs older than these */
  RETENTION_MESSAGES_DAYS: int(180, 1, 36_500),
  RETENTION_FILES_DAYS: int(30, 1, 36_500),
  RETENTION_DEAD_JOBS_DAYS: int(30, 1, 36_500),
});

export type ConfigInput = z.input<typeof configSchema>;
type Parsed = z.output<typeof configSchema>;

export interface Config extends Omit<Parsed, "PUBLIC_URL" | "ENCRYPTION_KEY"> {
  PUBLIC_URL: string;
  ENCRYPTION_KEY: string;
  runtime: Runtime;
}

export type Runtime = "node" | "workers";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/**
 * Reads the environment into a typed Config, or throws ConfigError naming every bad variable
 * and what is wrong with it. Empty strings count as unset (wrangler and docker-compose pass
 * them for declared-but-blank variables).
 * On Node, worker/node.ts fills ENCRYPTION_KEY from the data folder before calling this; on
 * Workers it must be a secret, since there is no disk to keep a generated one on.
 */
export function loadConfig(env: Record<string, string | undefined>, runtime: Runtime): Config {
  const input: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const v = env[key];
    if (typeof v === "string" && v.trim() !== "") input[key] = v.trim();
  }
  const result = configSchema.safeParse(input);
  const problems: string[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) {
      const name = String(issue.path[0] ?? "environment");
      const got = input[name];
      const shown = got === undefined || /SECRET|KEY|TOKEN|DATABASE_URL/.test(name) ? "" : ` (got "${got}")`;
      problems.push(`${name}: ${issue.message}${shown}`);
    }
  }
  if (input.ENCRYPTION_KEY === undefined) {
    problems.push(
      runtime === "workers"
        ? "ENCRYPTION_KEY: is required on Workers (wrangler secret put ENCRYPTION_KEY)"
        : "ENCRYPTION_KEY: is required (npm start generates one into DATA_DIR)",
    );
  }
  if (runtime === "workers" && input.DATABASE_URL === undefined) {
    problems.push("DATABASE_URL: is required on Workers (a Hyperdrive binding or a postgres:// URL)");
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  const parsed = result.data;
  return {
    ...parsed,
    PUBLIC_URL: parsed.PUBLIC_URL ?? `http://localhost:${parsed.PORT}`,
    ENCRYPTION_KEY: parsed.ENCRYPTION_KEY!,
    runtime,
  };
}

/**
 * Settings that load but are likely a mistake or a known limitation worth a line in the log at
 * start (no secrets in the text).
 */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.OUTBOUND_ALLOW_LOOPBACK) {
    warnings.push("OUTBOUND_ALLOW_LOOPBACK=true: outbound calls may reach loopback addresses; never use this in production");
  }
  if (config.OUTBOUND_ALLOW_PRIVATE) {
    warnings.push(
      "OUTBOUND_ALLOW_PRIVATE=true: outbound calls may reach private network addresses (10/8, 172.16/12, 192.168/16, fc00::/7); only for a self-hosted deployment whose tenants you trust",
    );
  }
  if (config.AMOCRM_CHAT_CHANNEL_ID && !config.AMOCRM_CHAT_BOT_ID) {
    warnings.push(
      "AMOCRM_CHAT_BOT_ID is not set: messages typed on the owner's phone and API messages shown in amoCRM chats go in without the channel bot as their sender",
    );
  }
  const halves: Array<[string, string | undefined, string, string | undefined]> = [
    ["AMOCRM_CLIENT_ID", config.AMOCRM_CLIENT_ID, "AMOCRM_CLIENT_SECRET", config.AMOCRM_CLIENT_SECRET],
    ["AMOCRM_CHAT_CHANNEL_ID", config.AMOCRM_CHAT_CHANNEL_ID, "AMOCRM_CHAT_CHANNEL_SECRET", config.AMOCRM_CHAT_CHANNEL_SECRET],
    ["KOMMO_CLIENT_ID", config.KOMMO_CLIENT_ID, "KOMMO_CLIENT_SECRET", config.KOMMO_CLIENT_SECRET],
    ["KOMMO_CHAT_CHANNEL_ID", config.KOMMO_CHAT_CHANNEL_ID, "KOMMO_CHAT_CHANNEL_SECRET", config.KOMMO_CHAT_CHANNEL_SECRET],
  ];
  for (const [idName, id, secretName, secret] of halves) {
    if ((id === undefined) !== (secret === undefined)) {
      warnings.push(`${id === undefined ? idName : secretName} is not set while ${id === undefined ? secretName : idName} is: the pair is ignored`);
    }
  }
  if ((config.AMOCRM_CHAT_CHANNEL_ID || config.KOMMO_CHAT_CHANNEL_ID) && !config.AMOCRM_CLIENT_ID && !config.KOMMO_CLIENT_ID) {
    warnings.push("an amoCRM chat channel is set without AMOCRM_CLIENT_ID / AMOCRM_CLIENT_SECRET: no account can install the integration");
  }
  return warnings;
}
