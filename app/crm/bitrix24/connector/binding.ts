import { and, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Channel } from "../../../core/channels.js";
import { AppError } from "../../../core/errors.js";
import type { Db } from "../../../db/index.js";
import { channels, lineBindings } from "../../../db/schema.js";
import { Bitrix24Client } from "../client.js";
import { Bitrix24Error, Bitrix24ReinstallNeededError } from "../errors.js";
import type { Bitrix24Deps } from "../oauth.js";
import { findPortalById, type PortalRow } from "../portal-auth.js";
import { CONNECTOR_ID } from "./connector-id.js";

export type LineBinding = typeof lineBindings.$inferSelect;

/** 3.4: LINE arrives as a string; Open Line ids are positive integers. */
const lineIdSchema = z.string().regex(/^[1-9]\d{0,9}$/, { error: "must be an Open Line id" });

/** The Bitrix24 portal a channel belongs to; a channel of another CRM, or none, cannot be bound. */
export async function portalOfChannel(db: Db, channel: Channel): Promise<PortalRow> {
  const portal = channel.portalId ? await findPortalById(db, channel.portalId) : undefined;
  if (!portal) throw new Bitrix24Error("no_portal", `channel ${channel.id} does not belong to a Bitrix24 portal`);
  return portal;
}

function connectorData(deps: Bitrix24Deps, channel: Channel) {
  const label = channel.messenger === "telegram" ? "Telegram" : "WhatsApp";
  const url = deps.config.PUBLIC_URL;
  // 3.5: DATA is written whole. We may not know the account's own number, so the URLs point at the app.
  return { ID: channel.id, URL: url, URL_IM: url, NAME: `${label}: ${channel.name}`.slice(0, 100) };
}

/**
 * Connects a channel to an Open Line (3.1 step 3): `imconnector.activate` then
 * `imconnector.connector.data.set` (3.5) in one batch that stops at the first error, then the
 * binding row. A line carries one channel: another channel of the same portal bound to it is
 * unbound here, or client messages of both would land in one line.
 */
export async function bindChannelToLine(deps: Bitrix24Deps, channel: Channel, lineId: string): Promise<LineBinding> {
  const line = lineIdSchema.safeParse(lineId);
  if (!line.success) throw new AppError("invalid_parameter", `line: ${line.error.issues[0]?.message ?? "invalid"}`, { field: "line" });
  const portal = await portalOfChannel(deps.db, channel);
  const client = new Bitrix24Client(deps, portal.externalId);
  const LINE = Number(line.data);
  const { errors } = await client.batch(
    [
      { key: "activate", method: "imconnector.activate", params: { CONNECTOR: CONNECTOR_ID, LINE, ACTIVE: 1 } },
      { key: "data", method: "imconnector.connector.data.set", params: { CONNECTOR: CONNECTOR_ID, LINE, DATA: connectorData(deps, channel) } },
    ],
    { halt: true },
  );
  const [failed] = Object.entries(errors);
  if (failed) throw new Bitrix24Error(failed[1].error, `${failed[0]}: ${failed[1].error} ${failed[1].error_description ?? ""}`.trim());

  const now = deps.clock.now();
  const data = { connector: CONNECTOR_ID, memberId: portal.externalId };
  const binding = await deps.db.transaction(async (tx) => {
    const others = await findActiveBindingsOfLine(tx, portal.id, line.data);
    for (const other of others.filter((b) => b.channelId !== channel.id)) {
      await tx.update(lineBindings).set({ active: false, updatedAt: now }).where(eq(lineBindings.id, other.id));
    }
    const [row] = await tx
      .insert(lineBindings)
      .values({ channelId: channel.id, crm: "bitrix24", lineId: line.data, data, active: true, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({
        target: [lineBindings.channelId, lineBindings.crm],
        set: { lineId: line.data, data, active: true, updatedAt: now },
      })
      .returning();
    return row!;
  });
  deps.logger.info("bitrix24: channel bound to open line", { member_id: portal.externalId, channel: channel.id, line: line.data });
  return binding;
}

/**
 * Disconnects a channel: `imconnector.activate` with ACTIVE=0 (3.5), then the binding goes
 * inactive. A portal that was uninstalled cannot be told; the binding is deactivated anyway.
 */
export async function unbindChannel(deps: Bitrix24Deps, channel: Channel): Promise<void> {
  const binding = await findActiveBinding(deps.db, channel.id);
  if (!binding) return;
  const portal = await portalOfChannel(deps.db, channel);
  try {
    await new Bitrix24Client(deps, portal.externalId).call(
      "imconnector.activate",
      { CONNECTOR: CONNECTOR_ID, LINE: Number(binding.lineId), ACTIVE: 0 },
      z.unknown(),
    );
  } catch (err) {
    if (!(err instanceof Bitrix24ReinstallNeededError)) throw err;
  }
  await deactivateBindings(deps.db, [binding.id], deps.clock.now());
}

export async function findActiveBinding(db: Db, channelId: string): Promise<LineBinding | undefined> {
  const [row] = await db
    .select()
    .from(lineBindings)
    .where(and(eq(lineBindings.channelId, channelId), eq(lineBindings.crm, "bitrix24"), eq(lineBindings.active, true)));
  return row;
}

/** Active bindings of a line on one portal (line ids are per portal), with live channels only. */
export async function findActiveBindingsOfLine(db: Db, portalId: string, lineId: string): Promise<LineBinding[]> {
  const rows = await db
    .select({ binding: lineBindings })
    .from(lineBindings)
    .innerJoin(channels, eq(channels.id, lineBindings.channelId))
    .where(
      and(
        eq(lineBindings.crm, "bitrix24"),
        eq(lineBindings.lineId, lineId),
        eq(lineBindings.active, true),
        eq(channels.portalId, portalId),
        isNull(channels.deletedAt),
      ),
    );
  return rows.map((r) => r.binding);
}

export async function deactivateBindings(db: Db, ids: string[], now: Date): Promise<void> {
  for (const id of ids) await db.update(lineBindings).set({ active: false, updatedAt: now }).where(eq(lineBindings.id, id));
}
