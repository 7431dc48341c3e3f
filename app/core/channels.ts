import { and, eq, inArray, isNull, ne, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/index.js";
import { adminSessions, channels, lineBindings, messages, portals, type StatusEntry, webhookTokens } from "../db/schema.js";
import type { AppDeps } from "../deps.js";
import { getProvider } from "../providers/index.js";
import type { Messenger, Pacing, Provider, ProviderContext } from "../providers/types.js";
import { AppError } from "./errors.js";
import type { Keyring } from "./secrets.js";
import { bytesToBase64Url } from "./encoding.js";
import { generateToken, hashToken } from "./tokens.js";
import { forgetChannel, lookupCache } from "./lookup-cache.js";

export type Channel = typeof channels.$inferSelect;

const credentialsContext = (channelId: string) => `channel:${channelId}:credentials`;
const hookSecretContext = (channelId: string) => `channel:${channelId}:hook-secret`;

export function providerOf(channel: Channel): Provider<unknown> {
  const provider = getProvider(channel.provider);
  if (!provider) throw new AppError("internal", `channel ${channel.id} uses unknown provider ${channel.provider}`);
  return provider;
}

export interface NewChannel {
  portalId: string | null;
  provider: string;
  name: string;
  messenger?: Messenger;
  credentials: unknown;
}

/**
 * Creates a channel with its credentials checked by the provider's schema and encrypted at
 * rest (bound to the channel id), and a fresh secret for its provider webhook URL. The secret
 * is returned once; only its hash is kept.
 */
export async function createChannel(
  db: Db,
  keyring: Keyring,
  input: NewChannel,
): Promise<{ channel: Channel; hookSecret: string }> {
  const provider = getProvider(input.provider);
  if (!provider) throw new AppError("invalid_parameter", `unknown provider ${input.provider}`, { field: "provider" });
  const credentials = checkCredentials(provider, input.credentials);
  const messenger = input.messenger ?? provider.capabilities.messengers[0] ?? "whatsapp";
  if (!provider.capabilities.messengers.includes(messenger)) {
    throw new AppError("invalid_parameter", `${provider.title} does not support ${messenger}`, { field: "messenger" });
  }
  const id = crypto.randomUUID();
  const hookSecret = generateToken();
  const [channel] = await db
    .insert(channels)
    .values({
      id,
      portalId: input.portalId,
      provider: provider.name,
      name: input.name,
      messenger,
      credentialsEnc: await keyring.encrypt(JSON.stringify(credentials), credentialsContext(id)),
      hookSecretHash: await hashToken(hookSecret),
      hookSecretEnc: await keyring.encrypt(hookSecret, hookSecretContext(id)),
    })
    .returning();
  return { channel: channel!, hookSecret };
}

/** Credentials as the provider's schema reads them; `invalid_parameter` naming the wrong fields otherwise. */
function checkCredentials(provider: Provider<unknown>, input: unknown): unknown {
  const parsed = provider.credentials.safeParse(input);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i: { path: PropertyKey[]; message: string }) => `${i.path.join(".") || "credentials"}: ${i.message}`).join("; ");
    throw new AppError("invalid_parameter", `credentials: ${detail}`, { field: "credentials" });
  }
  return parsed.data;
}

/**
 * Replaces a channel's credentials (checked and encrypted as on create) and drops what was
 * cached under the old ones (provider session tokens), so the next call logs in afresh.
 */
export async function replaceChannelCredentials(db: Db, keyring: Keyring, channel: Channel, input: unknown, now: Date): Promise<Channel> {
  const credentials = checkCredentials(providerOf(channel), input);
  const [row] = await db
    .update(channels)
    .set({ credentialsEnc: await keyring.encrypt(JSON.stringify(credentials), credentialsContext(channel.id)), updatedAt: now })
    .where(and(eq(channels.id, channel.id), isNull(channels.deletedAt)))
    .returning();
  if (!row) throw new AppError("not_found", "channel not found");
  channelCaches.delete(channel.id);
  forgetChannel(channel.id);
  return row;
}

export async function findChannel(db: Db, id: string): Promise<Channel | undefined> {
  const [row] = await db
    .select()
    .from(channels)
    .where(and(eq(channels.id, id), isNull(channels.deletedAt)));
  return row;
}

/**
 * The channel a provider webhook URL belongs to, by the hash of the secret in its path. With
 * `cacheMs` (LOOKUP_CACHE_MS) a found channel is kept in this process that long
 * (core/lookup-cache.ts); changes through this process forget it at once.
 */
export async function findChannelByHookSecret(db: Db, provider: string, secret: string, cacheMs = 0): Promise<Channel | undefined> {
  // the name comes from the URL: one we do not know (or that PostgreSQL cannot hold, like a NUL) names no channel
  if (!getProvider(provider)) return undefined;
  const key = `${provider}:${await hashToken(secret)}`;
  const cache = lookupCache<{ channelId: string; channel: Channel }>("hook-secret", db, cacheMs);
  const cached = cache.get(key);
  if (cached) return cached.channel;
  const [row] = await db
    .select()
    .from(channels)
    .where(and(eq(channels.hookSecretHash, key.slice(provider.length + 1)), eq(channels.provider, provider), isNull(channels.deletedAt)));
  if (row) cache.set(key, { channelId: row.id, channel: row });
  return row;
}

/**
 * The channel of a /hooks/<provider>/<secret> URL. A phone-gateway channel's secret is the token
 * of its /gateway/<secret>/* URLs (channelHookUrl), never a webhook URL: under /hooks it names
 * nothing, as an unknown secret does (its provider has no webhooks to parse).
 */
export async function findChannelOfProviderHook(db: Db, provider: string, secret: string, cacheMs = 0): Promise<Channel | undefined> {
  if (getProvider(provider)?.capabilities.inbound === "gateway") return undefined;
  return findChannelByHookSecret(db, provider, secret, cacheMs);
}

export async function channelCredentials(keyring: Keyring, channel: Channel): Promise<unknown> {
  return JSON.parse(await keyring.decrypt(channel.credentialsEnc, credentialsContext(channel.id)));
}

async function hookSecretOf(keyring: Keyring, channel: Channel): Promise<string | undefined> {
  return channel.hookSecretEnc ? keyring.decrypt(channel.hookSecretEnc, hookSecretContext(channel.id)) : undefined;
}

/** The secret in the channel's hook URL (a retired channel has none). */
export async function channelHookSecret(keyring: Keyring, channel: Channel): Promise<string> {
  const secret = await hookSecretOf(keyring, channel);
  if (!secret) throw new AppError("not_found", "the channel has no hook URL");
  return secret;
}

/**
 * ProviderContext.channelSecret: HMAC-SHA256 of the purpose under the channel's hook secret,
 * base64url. Derived rather than stored, so every process agrees without a column, and a new
 * hook secret (a retired channel's is wiped) changes it too.
 */
export async function deriveChannelSecret(hookSecret: string, purpose: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(hookSecret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`chatbridge:${purpose}`)));
  return bytesToBase64Url(mac);
}

/** The URL the provider must call for this channel (shown to admins, given to providers that take it per send). */
export async function channelHookUrl(deps: Pick<AppDeps, "keyring" | "config">, channel: Channel): Promise<string | undefined> {
  const secret = await hookSecretOf(deps.keyring, channel);
  return secret ? hookUrlOf(deps.config, channel, secret) : undefined;
}

function hookUrlOf(config: Pick<AppDeps["config"], "PUBLIC_URL">, channel: Channel, secret: string): string {
  // the phone gateway is not called by a provider: the phone itself uses /gateway/<secret>/<next|result|...>
  if (providerOf(channel).capabilities.inbound === "gateway") return `${config.PUBLIC_URL}/gateway/${secret}`;
  return `${config.PUBLIC_URL}/hooks/${channel.provider}/${secret}`;
}

/** Per-channel caches (provider tokens, looked-up user ids) shared by the calls of one process. */
const channelCaches = new Map<string, Map<string, unknown>>();

/** What provider calls need from the runtime. */
export type ProviderDeps = Pick<AppDeps, "keyring" | "fetch" | "clock" | "logger" | "config">;

/**
 * A channel's credentials and hook secret as last decrypted, with the ciphertexts they came
 * from: reused while the row's ciphertexts are the same, so a busy channel's webhooks and sends
 * cost no decryption each (new credentials or a wiped secret change the ciphertext).
 */
const decrypted = new Map<string, { credentialsEnc: string; hookSecretEnc: string | null; credentials: unknown; hookSecret: string | undefined }>();

async function decryptedOf(deps: ProviderDeps, channel: Channel): Promise<{ credentials: unknown; hookSecret: string | undefined }> {
  const known = decrypted.get(channel.id);
  if (known && known.credentialsEnc === channel.credentialsEnc && known.hookSecretEnc === channel.hookSecretEnc) return known;
  const fresh = {
    credentialsEnc: channel.credentialsEnc,
    hookSecretEnc: channel.hookSecretEnc,
    credentials: providerOf(channel).credentials.parse(await channelCredentials(deps.keyring, channel)),
    hookSecret: await hookSecretOf(deps.keyring, channel),
  };
  if (decrypted.size >= 10_000) decrypted.delete(decrypted.keys().next().value!);
  decrypted.set(channel.id, fresh);
  return fresh;
}

export async function providerContext(deps: ProviderDeps, channel: Channel): Promise<ProviderContext<unknown>> {
  let cache = channelCaches.get(channel.id);
  if (!cache) {
    cache = new Map();
    channelCaches.set(channel.id, cache);
  }
  // decrypted once: the hook URL and every channel secret derive from it
  const { credentials, hookSecret } = await decryptedOf(deps, channel);
  const hookUrl = hookSecret ? hookUrlOf(deps.config, channel, hookSecret) : undefined;
  return {
    async channelSecret(purpose: string) {
      if (!hookSecret) throw new AppError("channel_not_connected", "the channel has no hook secret (it was retired)");
      return deriveChannelSecret(hookSecret, purpose);
    },
    channelId: channel.id,
    ...(hookUrl ? { hookUrl } : {}),
    credentials,
    messenger: channel.messenger,
    fetch: deps.fetch,
    clock: deps.clock,
    logger: deps.logger,
    config: deps.config,
    cache,
  };
}

/** The channel's own pacing override, else the provider's default. */
export function pacingOf(channel: Channel): Pacing {
  const base = providerOf(channel).pacing;
  return {
    minIntervalMs: channel.paceMinMs ?? base.minIntervalMs,
    jitterMs: channel.paceJitterMs ?? base.jitterMs,
  };
}

/**
 * Takes a portal's channels out of service when the app is uninstalled: with `purge` (the
 * admin asked Bitrix24 to delete the app's data) the channels go with their history; otherwise
 * they are retired (see retireChannels). History stays.
 */
export async function retirePortalChannels(db: Db, portalId: string, now: Date, purge: boolean): Promise<number> {
  if (purge) {
    const gone = await db.delete(channels).where(eq(channels.portalId, portalId)).returning({ id: channels.id });
    return gone.length;
  }
  return retireChannels(db, eq(channels.portalId, portalId), now, "the app was uninstalled");
}

/** An admin deleted one channel: retired like an uninstall retires them all; false when it was already gone. */
export async function retireChannel(db: Db, channelId: string, now: Date): Promise<boolean> {
  return (await retireChannels(db, eq(channels.id, channelId), now, "the channel was deleted")) > 0;
}

/**
 * Marks the live channels matching `which` deleted with credentials and secrets wiped, webhook
 * tokens revoked, line bindings deactivated, and messages still waiting to go out failed
 * visibly with `reason`. The rows stay so message history keeps its channel.
 */
async function retireChannels(db: Db, which: SQL, now: Date, reason: string): Promise<number> {
  const retired = await db
    .update(channels)
    .set({ deletedAt: now, credentialsEnc: "", hookSecretHash: null, hookSecretEnc: null, updatedAt: now })
    .where(and(which, isNull(channels.deletedAt)))
    .returning({ id: channels.id });
  const ids = retired.map((c) => c.id);
  if (ids.length === 0) return 0;
  for (const id of ids) {
    channelCaches.delete(id);
    forgetChannel(id);
  }
  await db.update(webhookTokens).set({ revokedAt: now }).where(and(inArray(webhookTokens.channelId, ids), isNull(webhookTokens.revokedAt)));
  await db.update(lineBindings).set({ active: false, updatedAt: now }).where(inArray(lineBindings.channelId, ids));
  const failed: StatusEntry = { status: "failed", at: now.toISOString(), reason };
  await db
    .update(messages)
    .set({
      status: "failed",
      errorCode: "channel_removed",
      errorMessage: reason,
      statusHistory: sql`${messages.statusHistory} || ${JSON.stringify([failed])}::jsonb`,
      updatedAt: now,
    })
    .where(and(inArray(messages.channelId, ids), eq(messages.direction, "out"), eq(messages.status, "queued")));
  return ids.length;
}

/**
 * A CRM took the app away (Bitrix24 ONAPPUNINSTALL, amoCRM's disconnect): in one transaction
 * the row is marked uninstalled with every token wiped, its admin sessions end and its
 * channels are retired (retirePortalChannels). The row itself stays for history; repeating it
 * changes the row no further. Returns how many channels were retired.
 */
export async function retirePortal(db: Db, portalId: string, now: Date, purge: boolean): Promise<number> {
  return db.transaction(async (tx) => {
    await tx
      .update(portals)
      .set({
        status: "uninstalled",
        accessTokenEnc: null,
        refreshTokenEnc: null,
        tokenExpiresAt: null,
        refreshLeaseUntil: null,
        applicationTokenEnc: null,
        uninstalledAt: now,
        updatedAt: now,
      })
      .where(and(eq(portals.id, portalId), ne(portals.status, "uninstalled")));
    await tx.delete(adminSessions).where(eq(adminSessions.portalId, portalId));
    return retirePortalChannels(tx, portalId, now, purge);
  });
}
