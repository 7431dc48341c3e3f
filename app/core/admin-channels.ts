import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../db/index.js";
import { channels, lineBindings } from "../db/schema.js";
import type { AppDeps } from "../deps.js";
import { type Messenger, ProviderPermanentError, ProviderRetryableError } from "../providers/types.js";
import { type Channel, channelHookSecret, channelHookUrl, createChannel, deriveChannelSecret, providerContext, providerOf, replaceChannelCredentials } from "./channels.js";
import { AppError } from "./errors.js";
import { enqueueJob } from "./outbox/enqueue.js";
import { ensurePolling } from "./polling.js";
import { channelHasTemplates, syncChannelTemplates } from "./templates.js";
import { createWebhookToken, showWebhookToken } from "./webhook-tokens.js";
import { forgetChannel } from "./lookup-cache.js";
import { checkFallbacks, type GroupView, groupView } from "./channel-group.js";
import { backfillFirstSent, type UsageView, usageToday } from "./daily-caps.js";

/**
 * A CRM-neutral job (crm/dispatch.ts): the portal's channels, or their templates, changed. A
 * CRM that keeps its own copy of the list refreshes it: Bitrix24 registers its robots again
 * with the channel and template selects (reference/bitrix24.md 5.1); amoCRM's widget reads
 * the list live and has nothing to do.
 */
export const CHANNELS_CHANGED_JOB = "crm.channels_changed";

/**
 * The version of what CRMs register from the channel list (Bitrix24 robots with channel and
 * template selects, several recipients, the template robot). A portal registered under an
 * older one (installed before) is refreshed by the hourly maintenance (maintenance.ts), once:
 * the refresh records the version on the portal when it succeeds.
 */
export const AUTOMATION_LISTS_VERSION = 2;

/** Changes within this window (an admin adding three channels) make one refresh, run when the window ends. */
const CHANNELS_CHANGED_WINDOW_MS = 15_000;

/**
 * Schedules that refresh: after a channel is created, renamed or deleted, and after its
 * templates are synced. One job per portal and window (dedup key), due at the window's end,
 * so a burst of changes costs the CRM one update, read from the state of that moment; the
 * admin call answers without waiting for the CRM, and a CRM failure is retried by the outbox.
 */
export async function scheduleAutomationRefresh(deps: Pick<AppDeps, "db" | "clock" | "config">, portalId: string): Promise<void> {
  const now = deps.clock.now();
  const window = Math.floor(now.getTime() / CHANNELS_CHANGED_WINDOW_MS);
  await enqueueJob(
    deps.db,
    {
      kind: CHANNELS_CHANGED_JOB,
      payload: { portalId },
      dedupKey: `${CHANNELS_CHANGED_JOB}:${portalId}:${window}`,
      runAt: new Date((window + 1) * CHANNELS_CHANGED_WINDOW_MS),
      maxAttempts: deps.config.OUTBOX_MAX_ATTEMPTS,
    },
    now,
  );
}

/** A live channel of this portal; another portal's channel is `not_found`, exactly like a missing one. */
export async function findPortalChannel(db: Db, portalId: string, channelId: string): Promise<Channel> {
  const [row] = await db
    .select()
    .from(channels)
    .where(and(eq(channels.id, channelId), eq(channels.portalId, portalId), isNull(channels.deletedAt)));
  if (!row) throw new AppError("not_found", "channel not found");
  return row;
}

export async function listPortalChannels(db: Db, portalId: string): Promise<Channel[]> {
  return db
    .select()
    .from(channels)
    .where(and(eq(channels.portalId, portalId), isNull(channels.deletedAt)))
    .orderBy(channels.createdAt, channels.id);
}

/** What an admin sees of a channel: never its credentials or secrets beyond the URLs it must paste. */
export interface ChannelView {
  id: string;
  provider: string;
  name: string;
  messenger: Messenger;
  state: string;
  state_detail: Record<string, unknown> | null;
  state_checked_at: string | null;
  pace_min_ms: number | null;
  pace_jitter_ms: number | null;
  created_at: string;
  /** base URL of the public webhook API, when the channel has a token */
  webhook_url: string | null;
  /** where the provider must send its webhooks */
  hook_url: string | null;
  /** the verify token to paste beside hook_url where the provider asks for one (WhatsApp Cloud API) */
  hook_verify_token: string | null;
  /** what the channel is bound to: the Open Line id (Bitrix24) or the amojo scope id (amoCRM); null when unbound */
  line: string | null;
  /** its failover group (core/failover.ts) */
  group: GroupView;
  /** daily caps (null: none), what a send over them does, and today's use in the portal's time zone */
  daily_message_cap: number | null;
  daily_new_chat_cap: number | null;
  cap_overflow: "wait" | "fallback";
  usage_today: UsageView;
}

export async function channelView(deps: Pick<AppDeps, "db" | "keyring" | "clock" | "config">, channel: Channel): Promise<ChannelView> {
  const token = await showWebhookToken(deps, channel);
  const now = deps.clock.now();
  return {
    id: channel.id,
    provider: channel.provider,
    name: channel.name,
    messenger: channel.messenger,
    state: channel.state,
    state_detail: channel.stateDetail ?? null,
    state_checked_at: channel.stateCheckedAt?.toISOString() ?? null,
    pace_min_ms: channel.paceMinMs,
    pace_jitter_ms: channel.paceJitterMs,
    created_at: channel.createdAt.toISOString(),
    webhook_url: token?.url ?? null,
    hook_url: (await channelHookUrl(deps, channel)) ?? null,
    hook_verify_token: await hookVerifyToken(deps, channel),
    line: (await activeLineOf(deps.db, channel.id)) ?? null,
    group: await groupView(deps.db, channel, deps.config, now),
    daily_message_cap: channel.dailyMessageCap,
    daily_new_chat_cap: channel.dailyNewChatCap,
    cap_overflow: channel.capOverflow,
    usage_today: await usageToday(deps.db, channel, now),
  };
}

async function hookVerifyToken(deps: Pick<AppDeps, "keyring">, channel: Channel): Promise<string | null> {
  const purpose = providerOf(channel).hookVerifyPurpose;
  if (!purpose || !channel.hookSecretEnc) return null;
  return deriveChannelSecret(await channelHookSecret(deps.keyring, channel), purpose);
}

/** The line or scope a channel is bound to (one CRM per portal, so at most one active binding). */
async function activeLineOf(db: Db, channelId: string): Promise<string | undefined> {
  const [row] = await db
    .select({ lineId: lineBindings.lineId })
    .from(lineBindings)
    .where(and(eq(lineBindings.channelId, channelId), eq(lineBindings.active, true)))
    .limit(1);
  return row?.lineId;
}

/** Turns a provider failure during an admin action into the API's error; anything else is rethrown. */
export function providerFailure(err: unknown, what: string): AppError {
  if (err instanceof ProviderRetryableError) {
    return new AppError("unavailable", `The provider could not ${what} right now: try again later`, {
      ...(err.delayMs !== undefined ? { retryAfterMs: err.delayMs } : {}),
    });
  }
  if (err instanceof ProviderPermanentError) {
    if (err.code === "invalid_credentials") return new AppError("channel_not_connected", `The provider refused the channel's credentials: ${err.message}`);
    if (err.code === "not_connected" || err.code === "banned") return new AppError("channel_not_connected", `The channel is not connected (${err.code})`);
    if (err.code === "unsupported") return new AppError("unsupported", `This channel's provider cannot ${what}`);
    return new AppError("unavailable", `The provider could not ${what} (${err.code}): ${err.message}`);
  }
  throw err;
}

/**
 * Points the provider's webhooks at the channel's hook URL, for providers that take it by API.
 * A failure does not undo the change that called it: the admin sees why and can paste the URL
 * by hand, so it comes back as a warning text.
 */
async function configureProviderWebhook(deps: AppDeps, channel: Channel): Promise<string | undefined> {
  const provider = providerOf(channel);
  if (!provider.configureWebhook) return undefined;
  const url = await channelHookUrl(deps, channel);
  if (!url) return undefined;
  try {
    await provider.configureWebhook(await providerContext(deps, channel), url);
    return undefined;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    deps.logger.warn("admin: configureWebhook failed", { channel: channel.id, error: reason });
    return `The provider's webhook could not be set (${reason}): paste the hook URL into the provider's console`;
  }
}

export interface NewPortalChannel {
  provider: string;
  name: string;
  messenger?: Messenger | undefined;
  credentials: unknown;
}

/**
 * Asks providers that can check credentials (Provider.describe: Telegram getMe, Cloud API
 * phone number) and stores what the admin should see (bot @username and link, number and
 * quality) as the channel's state detail. Refused credentials are the caller's error; a
 * provider that cannot be reached leaves the channel as it is, with a warning.
 */
async function describeChannel(deps: AppDeps, channel: Channel): Promise<{ channel: Channel; warning?: string }> {
  const provider = providerOf(channel);
  if (!provider.describe) return { channel };
  let described: Awaited<ReturnType<NonNullable<typeof provider.describe>>>;
  try {
    described = await provider.describe(await providerContext(deps, channel));
  } catch (err) {
    if (err instanceof ProviderPermanentError && err.code === "invalid_credentials") {
      throw new AppError("invalid_parameter", `credentials: ${provider.title} refused them (${err.message})`, { field: "credentials" });
    }
    if (err instanceof ProviderPermanentError || err instanceof ProviderRetryableError) {
      return { channel, warning: `${provider.title} could not be asked about the channel (${err.code}): check it later with the channel's status` };
    }
    throw err;
  }
  const now = deps.clock.now();
  const [row] = await deps.db
    .update(channels)
    .set({ state: described.state, stateDetail: described.info, stateCheckedAt: now, updatedAt: now })
    .where(eq(channels.id, channel.id))
    .returning();
  forgetChannel(channel.id);
  return { channel: row ?? channel };
}

/** Template lists are synced when a channel that has them is created or gets new credentials; a failure is a warning. */
async function syncTemplatesQuietly(deps: AppDeps, channel: Channel): Promise<string | undefined> {
  if (!channelHasTemplates(channel)) return undefined;
  try {
    await syncChannelTemplates(deps, channel);
    return undefined;
  } catch (err) {
    deps.logger.warn("admin: template sync failed", { channel: channel.id, error: err instanceof Error ? err.message : String(err) });
    return "The message templates could not be read yet: refresh them in the channel's templates list";
  }
}

/**
 * Creates a channel ready to use: credentials checked and encrypted (and by the provider where
 * it can check them: a refused token creates nothing), its webhook API token issued, the
 * provider told where to send events, templates synced, and polling started for providers
 * without push webhooks.
 */
export async function createPortalChannel(deps: AppDeps, portalId: string, input: NewPortalChannel): Promise<{ channel: Channel; warning?: string }> {
  const created = await createChannel(deps.db, deps.keyring, {
    portalId,
    provider: input.provider,
    name: input.name,
    ...(input.messenger ? { messenger: input.messenger } : {}),
    credentials: input.credentials,
  });
  let described: { channel: Channel; warning?: string };
  try {
    described = await describeChannel(deps, created.channel);
  } catch (err) {
    // nothing was told to the provider yet: the row goes as if it had never been made
    await deps.db.delete(channels).where(eq(channels.id, created.channel.id));
    throw err;
  }
  const { channel } = described;
  await createWebhookToken(deps, channel);
  const warnings = [described.warning, await configureProviderWebhook(deps, channel), await syncTemplatesQuietly(deps, channel)].filter(
    (w): w is string => w !== undefined,
  );
  if (providerOf(channel).capabilities.inbound === "poll") await ensurePolling(deps.db, deps.clock.now());
  await scheduleAutomationRefresh(deps, portalId);
  return { channel, ...(warnings.length ? { warning: warnings.join("; ") } : {}) };
}

export interface ChannelChanges {
  name?: string | undefined;
  /** null returns to the provider's default */
  paceMinMs?: number | null | undefined;
  paceJitterMs?: number | null | undefined;
  credentials?: unknown;
  /** fallback channel ids in order (core/failover.ts) */
  fallbacks?: string[] | undefined;
  /** null: no cap */
  dailyMessageCap?: number | null | undefined;
  dailyNewChatCap?: number | null | undefined;
  capOverflow?: "wait" | "fallback" | undefined;
}

/** Applies an admin's edit; new credentials are re-validated and the provider's webhook set again under them. */
export async function updatePortalChannel(deps: AppDeps, channel: Channel, changes: ChannelChanges): Promise<{ channel: Channel; warning?: string }> {
  const now = deps.clock.now();
  let current = channel;
  if (changes.credentials !== undefined) {
    current = await replaceChannelCredentials(deps.db, deps.keyring, current, changes.credentials, now);
  }
  const set: Partial<typeof channels.$inferInsert> = {};
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.paceMinMs !== undefined) set.paceMinMs = changes.paceMinMs;
  if (changes.paceJitterMs !== undefined) set.paceJitterMs = changes.paceJitterMs;
  if (changes.fallbacks !== undefined) set.fallbackIds = await checkFallbacks(deps.db, current, changes.fallbacks);
  if (changes.dailyMessageCap !== undefined) set.dailyMessageCap = changes.dailyMessageCap;
  if (changes.dailyNewChatCap !== undefined) set.dailyNewChatCap = changes.dailyNewChatCap;
  if (changes.capOverflow !== undefined) set.capOverflow = changes.capOverflow;
  // the clients it already wrote to are not new chats: recorded before the cap starts counting
  if (changes.dailyNewChatCap != null && current.dailyNewChatCap === null) await backfillFirstSent(deps.db, current.id);
  if (Object.keys(set).length > 0) {
    const [row] = await deps.db
      .update(channels)
      .set({ ...set, updatedAt: now })
      .where(and(eq(channels.id, current.id), isNull(channels.deletedAt)))
      .returning();
    if (!row) throw new AppError("not_found", "channel not found");
    current = row;
    forgetChannel(current.id);
  }
  // a new name shows in the CRM's channel lists; new credentials may bring other templates
  const listed = changes.name !== undefined || changes.credentials !== undefined;
  if (listed && current.portalId) await scheduleAutomationRefresh(deps, current.portalId);
  if (changes.credentials === undefined) return { channel: current };
  let described: { channel: Channel; warning?: string };
  try {
    described = await describeChannel(deps, current);
  } catch (err) {
    // the provider refused the new credentials: the channel keeps the ones that worked
    await deps.db.update(channels).set({ credentialsEnc: channel.credentialsEnc, updatedAt: now }).where(eq(channels.id, channel.id));
    forgetChannel(channel.id);
    throw err;
  }
  current = described.channel;
  const warnings = [described.warning, await configureProviderWebhook(deps, current), await syncTemplatesQuietly(deps, current)].filter(
    (w): w is string => w !== undefined,
  );
  return { channel: current, ...(warnings.length ? { warning: warnings.join("; ") } : {}) };
}
