import { and, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Channel } from "../../../core/channels.js";
import type { Db } from "../../../db/index.js";
import { channels, lineBindings } from "../../../db/schema.js";
import type { AmoCrmDeps } from "../deps.js";
import { AmoCrmError, AmoCrmReinstallNeededError } from "../errors.js";
import { type AmoPortalRow, amoSettingsOf, findAmoPortalById } from "../portal.js";
import { AmojoClient } from "./amojo-client.js";
import { amojoBaseUrl, requireAmojoChannel } from "./channel-config.js";

export type LineBinding = typeof lineBindings.$inferSelect;

/** What the account sees as the channel's name in its chat sources (2.3 `title`). */
export const AMOJO_SCOPE_TITLE = "chatbridge";

/**
 * 2.3: `{channel_id}_{amojo_id}` in practice; only its use as a path segment (ours and amojo's)
 * is relied on, so it must be a plain token.
 */
const scopeIdSchema = z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, { error: "not a usable scope_id" });
export const isScopeId = (value: string) => scopeIdSchema.safeParse(value).success;

const connectAnswerSchema = z.looseObject({ scope_id: scopeIdSchema, account_id: z.string().optional() });

/** An account ready for amojo calls: its row, amojo id, and a client for its chats host. */
export interface AmojoAccount {
  portal: AmoPortalRow;
  amojoId: string;
  client: AmojoClient;
  channelId: string;
}

/**
 * The account behind a portal row, usable for amojo: installed (an uninstall disconnects the
 * channel, 2.3), with the amojo id the install stored (5.1) and a configured chat channel.
 */
export function amojoAccount(deps: AmoCrmDeps, portal: AmoPortalRow, scopeId?: string): AmojoAccount {
  if (portal.status !== "active") {
    throw new AmoCrmReinstallNeededError("reinstall_needed", `amoCRM account ${portal.domain} is ${portal.status}: install the integration again`);
  }
  const amojoId = amoSettingsOf(portal).amojoId;
  if (!amojoId) throw new AmoCrmError("no_amojo_id", `amoCRM account ${portal.domain} has no amojo id yet: install the integration again`);
  const channel = requireAmojoChannel(deps.config, portal, scopeId);
  return { portal, amojoId, channelId: channel.channelId, client: new AmojoClient(deps, amojoBaseUrl(deps.config, portal), channel) };
}

/** The amoCRM account a channel belongs to; a channel of another CRM, or of none, cannot be bound. */
export async function amoPortalOfChannel(db: Db, channel: Channel): Promise<AmoPortalRow> {
  const portal = channel.portalId ? await findAmoPortalById(db, channel.portalId) : undefined;
  if (!portal) throw new AmoCrmError("no_portal", `channel ${channel.id} does not belong to an amoCRM account`);
  return portal;
}

/**
 * 2.3: connects the registered channel to the account, hook API v2 (v1 is deprecated, 6.2
 * pitfall 5) and no time window (WhatsApp's own rules apply on the provider side). Connecting
 * again is harmless and answers the same scope, so every bind and reinstall just calls it.
 */
export async function connectAccount(account: AmojoAccount): Promise<string> {
  const answer = await account.client.call(
    "POST",
    `/v2/origin/custom/${encodeURIComponent(account.channelId)}/connect`,
    { account_id: account.amojoId, title: AMOJO_SCOPE_TITLE, hook_api_version: "v2", is_time_window_disabled: true },
    connectAnswerSchema,
  );
  return answer.scope_id;
}

/**
 * 2.3: `DELETE .../disconnect` `{account_id}` [U: the method; the docs' PHP sample signs it as
 * POST]. After it no hooks come and "write first" disappears. An account amojo no longer knows
 * as connected (404) is already where we want it.
 */
export async function disconnectAccount(account: AmojoAccount): Promise<void> {
  try {
    await account.client.call("DELETE", `/v2/origin/custom/${encodeURIComponent(account.channelId)}/disconnect`, { account_id: account.amojoId }, z.unknown());
  } catch (err) {
    if (!(err instanceof AmoCrmError && err.status === 404)) throw err;
  }
}

/**
 * Connects a channel of an amoCRM account to the account's one scope (2.3) and records the
 * binding. All channels of an account share the scope (our conversation ids name the channel,
 * conversation-ids.ts), so binding one never unbinds another.
 */
export async function bindChannelToAmojo(deps: AmoCrmDeps, channel: Channel): Promise<LineBinding> {
  const account = amojoAccount(deps, await amoPortalOfChannel(deps.db, channel));
  const scopeId = await connectAccount(account);
  const now = deps.clock.now();
  const data = { amojoId: account.amojoId, title: AMOJO_SCOPE_TITLE };
  const [row] = await deps.db
    .insert(lineBindings)
    .values({ channelId: channel.id, crm: "amocrm", lineId: scopeId, data, active: true, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: [lineBindings.channelId, lineBindings.crm], set: { lineId: scopeId, data, active: true, updatedAt: now } })
    .returning();
  deps.logger.info("amocrm: channel bound to amojo scope", { account: account.portal.externalId, channel: channel.id, scope: scopeId });
  return row!;
}

export async function findActiveAmoBinding(db: Db, channelId: string): Promise<LineBinding | undefined> {
  const [row] = await db
    .select()
    .from(lineBindings)
    .where(and(eq(lineBindings.channelId, channelId), eq(lineBindings.crm, "amocrm"), eq(lineBindings.active, true)));
  return row;
}

/** amojo bindings (active or not) of the account's live channels. */
export async function amoBindingsOfPortal(db: Db, portalId: string): Promise<LineBinding[]> {
  const rows = await db
    .select({ binding: lineBindings })
    .from(lineBindings)
    .innerJoin(channels, eq(channels.id, lineBindings.channelId))
    .where(and(eq(lineBindings.crm, "amocrm"), eq(channels.portalId, portalId), isNull(channels.deletedAt)));
  return rows.map((r) => r.binding);
}

/**
 * After every (re)install (2.3, 6.2 pitfall 6: an uninstall disconnects the channel): connects
 * the account again and re-activates the bindings of its live channels, moving them to the
 * scope amojo answers (it changes if the account's amojo id did). An account without bound
 * channels is not connected: there is nothing to route its hooks to.
 */
export async function reconnectAccountScopes(deps: AmoCrmDeps, portalId: string): Promise<{ scopeId?: string; bindings: number }> {
  const portal = await findAmoPortalById(deps.db, portalId);
  if (!portal) throw new AmoCrmError("no_portal", `amoCRM account ${portalId} no longer exists`);
  const bindings = await amoBindingsOfPortal(deps.db, portal.id);
  if (bindings.length === 0) {
    deps.logger.info("amocrm: no bound channels, amojo scope not connected", { account: portal.externalId });
    return { bindings: 0 };
  }
  const account = amojoAccount(deps, portal);
  const scopeId = await connectAccount(account);
  const now = deps.clock.now();
  const data = { amojoId: account.amojoId, title: AMOJO_SCOPE_TITLE };
  for (const b of bindings) {
    await deps.db.update(lineBindings).set({ lineId: scopeId, data, active: true, updatedAt: now }).where(eq(lineBindings.id, b.id));
  }
  deps.logger.info("amocrm: amojo scope reconnected", { account: portal.externalId, scope: scopeId, bindings: bindings.length });
  return { scopeId, bindings: bindings.length };
}

/**
 * After a channel of the account was removed: when no live channel of the account is bound any
 * more, the scope is disconnected (2.3), so amoCRM stops offering a chat nobody answers.
 */
export async function disconnectUnusedScope(deps: AmoCrmDeps, portalId: string): Promise<boolean> {
  const portal = await findAmoPortalById(deps.db, portalId);
  if (!portal || portal.status !== "active") return false;
  if ((await amoBindingsOfPortal(deps.db, portal.id)).some((b) => b.active)) return false;
  await disconnectAccount(amojoAccount(deps, portal));
  deps.logger.info("amocrm: amojo scope disconnected, no channel is bound any more", { account: portal.externalId });
  return true;
}
