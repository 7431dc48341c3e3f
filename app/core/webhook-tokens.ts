import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/index.js";
import { channels, lineBindings, portals, webhookTokens } from "../db/schema.js";
import type { AppDeps } from "../deps.js";
import type { Messenger } from "../providers/types.js";
import type { Channel } from "./channels.js";
import { AppError } from "./errors.js";
import { forgetChannel, lookupCache } from "./lookup-cache.js";
import type { PhoneRegion } from "./phone.js";
import { portalRegion } from "./portal-region.js";
import { generateToken, hashToken } from "./tokens.js";

/** The `<kind>` segment of /rest/webhook/<kind>/<token>/<method>: implied by the channel's messenger. */
export type WebhookKind = "wa" | "tg";

export const WEBHOOK_KINDS: readonly WebhookKind[] = ["wa", "tg"];

export type WebhookTokenRow = typeof webhookTokens.$inferSelect;

/** Who is calling the public webhook API: the token row and the live channel it belongs to. */
export interface WebhookCaller {
  token: WebhookTokenRow;
  channel: Channel;
  kind: WebhookKind;
  /** where the channel's portal reads numbers typed without country code */
  region: PhoneRegion;
  /** the CRM of the channel's portal (its sends get a note there); undefined for a portal-less channel */
  portalCrm: "bitrix24" | "amocrm" | undefined;
  /** bound to an Open Line or amojo scope: where send_to_imol shows the message */
  bound: boolean;
}

/** A token as shown to the channel's admin, with the ready-to-paste base URL. */
export interface IssuedWebhookToken {
  id: string;
  token: string;
  kind: WebhookKind;
  /** `<PUBLIC_URL>/rest/webhook/<kind>/<token>`; append `/sendText` etc. */
  url: string;
  createdAt: Date;
}

type TokenDeps = Pick<AppDeps, "db" | "keyring" | "clock" | "config">;

export function webhookKindOf(messenger: Messenger): WebhookKind {
  return messenger === "telegram" ? "tg" : "wa";
}

export function webhookBaseUrl(publicUrl: string, kind: WebhookKind, token: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/rest/webhook/${kind}/${token}`;
}

/** The encrypted copy is bound to its channel, so a value copied into another channel's row fails to open. */
const tokenContext = (channelId: string) => `webhook-token:${channelId}`;

/** Locks the channel row so concurrent create/regenerate calls for one channel run one after another. */
async function lockChannel(tx: Db, channelId: string): Promise<void> {
  const [row] = await tx
    .select({ id: channels.id })
    .from(channels)
    .where(and(eq(channels.id, channelId), isNull(channels.deletedAt)))
    .for("update");
  if (!row) throw new AppError("not_found", "channel not found");
}

async function activeToken(db: Db, channelId: string): Promise<WebhookTokenRow | undefined> {
  const [row] = await db
    .select()
    .from(webhookTokens)
    .where(and(eq(webhookTokens.channelId, channelId), isNull(webhookTokens.revokedAt)))
    .orderBy(desc(webhookTokens.createdAt))
    .limit(1);
  return row;
}

async function insertToken(deps: TokenDeps, tx: Db, channel: Channel): Promise<IssuedWebhookToken> {
  const token = generateToken();
  const [row] = await tx
    .insert(webhookTokens)
    .values({
      channelId: channel.id,
      tokenHash: await hashToken(token),
      tokenEnc: await deps.keyring.encrypt(token, tokenContext(channel.id)),
      createdAt: deps.clock.now(),
    })
    .returning();
  return issued(deps, channel, row!, token);
}

function issued(deps: TokenDeps, channel: Channel, row: WebhookTokenRow, token: string): IssuedWebhookToken {
  const kind = webhookKindOf(channel.messenger);
  return { id: row.id, token, kind, url: webhookBaseUrl(deps.config.PUBLIC_URL, kind, token), createdAt: row.createdAt };
}

/** Issues the channel's first webhook token; `conflict` when it already has an active one (show or regenerate it). */
export async function createWebhookToken(deps: TokenDeps, channel: Channel): Promise<IssuedWebhookToken> {
  return deps.db.transaction(async (tx) => {
    await lockChannel(tx, channel.id);
    if (await activeToken(tx, channel.id)) {
      throw new AppError("conflict", "the channel already has a webhook token: show or regenerate it");
    }
    return insertToken(deps, tx, channel);
  });
}

/** The channel's active token, decrypted for display, or undefined when it has none. */
export async function showWebhookToken(deps: TokenDeps, channel: Channel): Promise<IssuedWebhookToken | undefined> {
  const row = await activeToken(deps.db, channel.id);
  if (!row) return undefined;
  return issued(deps, channel, row, await deps.keyring.decrypt(row.tokenEnc, tokenContext(channel.id)));
}

/**
 * Replaces the channel's token. The old one stops working at once (revoked_at is set in the
 * same transaction): a leaked URL is the usual reason to regenerate, so there is no grace period.
 */
export async function regenerateWebhookToken(deps: TokenDeps, channel: Channel): Promise<IssuedWebhookToken> {
  return deps.db.transaction(async (tx) => {
    await lockChannel(tx, channel.id);
    await tx
      .update(webhookTokens)
      .set({ revokedAt: deps.clock.now() })
      .where(and(eq(webhookTokens.channelId, channel.id), isNull(webhookTokens.revokedAt)));
    return insertToken(deps, tx, channel);
  }).finally(() => forgetChannel(channel.id));
}

/** Generated tokens are base64url; anything else cannot be one, so it costs no query. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{16,128}$/;

type TokenLookupRow = {
  token: WebhookTokenRow;
  channel: Channel;
  portalSettings: unknown;
  portalCrm: "bitrix24" | "amocrm" | null;
  bound: boolean;
};

/** One query: token -> channel -> portal -> whether the channel is bound to a CRM line. */
async function selectTokenRow(db: Db, tokenHash: string): Promise<TokenLookupRow | undefined> {
  const [row] = await db
    .select({
      token: webhookTokens,
      channel: channels,
      portalSettings: portals.settings,
      portalCrm: portals.crm,
      bound: sql<boolean>`exists (select 1 from ${lineBindings} where ${lineBindings.channelId} = ${channels.id} and ${lineBindings.active})`,
    })
    .from(webhookTokens)
    .innerJoin(channels, eq(channels.id, webhookTokens.channelId))
    .leftJoin(portals, eq(portals.id, channels.portalId))
    .where(and(eq(webhookTokens.tokenHash, tokenHash), isNull(channels.deletedAt)))
    .limit(1);
  return row;
}

/**
 * Resolves the token of a webhook URL to its channel. A token used under the other kind's
 * path (a WhatsApp token with /tg/) is answered like an unknown one, so the path reveals
 * nothing about tokens of other kinds; a revoked token says so, to tell the integrator to
 * paste the new URL.
 *
 * With `cacheMs` (LOOKUP_CACHE_MS) a found token is kept in this process that long
 * (core/lookup-cache.ts): regenerating, deleting or changing the channel here forgets it at
 * once; through another instance it stops working within `cacheMs`.
 */
export async function lookupWebhookToken(db: Db, kind: string, token: string, cacheMs = 0): Promise<WebhookCaller> {
  const unknown = () => new AppError("invalid_token", "Unknown webhook token: check the URL");
  if (!TOKEN_SHAPE.test(token) || !(WEBHOOK_KINDS as readonly string[]).includes(kind)) throw unknown();
  const tokenHash = await hashToken(token);
  const cache = lookupCache<{ channelId: string; row: TokenLookupRow }>("webhook-token", db, cacheMs);
  let row = cache.get(tokenHash)?.row;
  if (!row) {
    row = await selectTokenRow(db, tokenHash);
    if (!row) throw unknown();
    cache.set(tokenHash, { channelId: row.channel.id, row });
  }
  const ownKind = webhookKindOf(row.channel.messenger);
  if (ownKind !== kind) throw unknown();
  if (row.token.revokedAt) {
    throw new AppError("token_revoked", "This webhook token was regenerated: use the new URL from the channel settings");
  }
  const region = portalRegion(row.portalSettings ? { settings: row.portalSettings } : undefined);
  return { token: row.token, channel: row.channel, kind: ownKind, region, portalCrm: row.portalCrm ?? undefined, bound: row.bound };
}
