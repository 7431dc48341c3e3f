import { eq } from "drizzle-orm";
import { z } from "zod";
import { CHANNELS_CHANGED_JOB } from "../core/admin-channels.js";
import { type BlockReason, FAILOVER_NOTE_JOB } from "../core/failover.js";
import { CRM_DELIVER_JOB } from "../core/messages/inbound.js";
import { CRM_STATUS_JOB } from "../core/messages/record-status.js";
import type { JobRegistry } from "../core/outbox/registry.js";
import { MIRROR_OUTGOING_JOB } from "../core/webhook-send.js";
import type { Db } from "../db/index.js";
import { channels, messages, portals } from "../db/schema.js";
import type { Logger } from "../core/logger.js";

export type CrmKind = (typeof portals.$inferSelect)["crm"];
export type ReportedStatus = "sent" | "delivered" | "read" | "failed";

/**
 * What one CRM does with the CRM-neutral jobs core writes without naming a CRM:
 * `crm.deliver_incoming` (a client's message, or one typed on the owner's phone, into the CRM chat),
 * `crm.report_status` (a status change of a message that came from the CRM) and
 * `crm.mirror_outgoing` (an API send with send_to_imol shown in the CRM chat).
 */
export interface CrmJobHandlers {
  deliverIncoming(messageId: string): Promise<void>;
  reportStatus(messageId: string, status: ReportedStatus): Promise<void>;
  mirrorOutgoing(messageId: string): Promise<void>;
  /** `crm.failover_note`: the conversation's messages now go out through another channel of its group */
  failoverNote(messageId: string, reason: BlockReason): Promise<void>;
}

const messageJob = z.object({ messageId: z.uuid() });
const failoverJob = z.object({ messageId: z.uuid(), reason: z.enum(["banned", "unauthorized", "qr_required", "down"]) });
const statusJob = z.object({ messageId: z.uuid(), status: z.enum(["sent", "delivered", "read", "failed"]) });

/** The CRM of the portal that owns the message's channel; undefined when either is gone or the channel has no portal. */
export async function crmOfMessage(db: Db, messageId: string): Promise<CrmKind | undefined> {
  const [row] = await db
    .select({ crm: portals.crm })
    .from(messages)
    .innerJoin(channels, eq(channels.id, messages.channelId))
    .innerJoin(portals, eq(portals.id, channels.portalId))
    .where(eq(messages.id, messageId))
    .limit(1);
  return row?.crm;
}

/**
 * Registers the CRM-neutral job kinds once, each dispatched to the handlers of the CRM whose
 * portal owns the message's channel. A message whose channel or portal is gone has nowhere to go
 * and its job ends quietly (logged).
 */
export function registerCrmDispatch(
  registry: JobRegistry,
  deps: { db: Db; logger: Logger },
  handlers: Record<CrmKind, CrmJobHandlers>,
): void {
  const route = async (kind: string, messageId: string, run: (h: CrmJobHandlers) => Promise<void>) => {
    const crm = await crmOfMessage(deps.db, messageId);
    if (!crm) {
      deps.logger.info("crm job skipped: the message's channel has no CRM portal", { kind, message: messageId });
      return;
    }
    await run(handlers[crm]);
  };
  registry.register(CRM_DELIVER_JOB, {
    schema: messageJob,
    // paced per conversation (core/messages/inbound.ts): a message the CRM refused for now
    // is retried before the client's later ones go
    ordered: true,
    handle: ({ messageId }) => route(CRM_DELIVER_JOB, messageId, (h) => h.deliverIncoming(messageId)),
  });
  registry.register(CRM_STATUS_JOB, {
    schema: statusJob,
    handle: ({ messageId, status }) => route(CRM_STATUS_JOB, messageId, (h) => h.reportStatus(messageId, status)),
  });
  registry.register(FAILOVER_NOTE_JOB, {
    schema: failoverJob,
    handle: ({ messageId, reason }) => route(FAILOVER_NOTE_JOB, messageId, (h) => h.failoverNote(messageId, reason)),
  });
  registry.register(MIRROR_OUTGOING_JOB, {
    schema: messageJob,
    handle: ({ messageId }) => route(MIRROR_OUTGOING_JOB, messageId, (h) => h.mirrorOutgoing(messageId)),
  });
}

/**
 * What one CRM does with the CRM-neutral jobs about a whole portal rather than a message:
 * `crm.channels_changed` (core/admin-channels.ts scheduleAutomationRefresh: channels created,
 * renamed or deleted, templates synced). A CRM without an entry has nothing to refresh.
 */
export interface PortalJobHandlers {
  channelsChanged(portalId: string): Promise<void>;
}

/** Registers the portal-level CRM-neutral jobs, each dispatched to the handlers of the portal's CRM. */
export function registerPortalDispatch(registry: JobRegistry, deps: { db: Db; logger: Logger }, handlers: Partial<Record<CrmKind, PortalJobHandlers>>): void {
  registry.register(CHANNELS_CHANGED_JOB, {
    schema: z.object({ portalId: z.uuid() }),
    async handle({ portalId }) {
      const [row] = await deps.db.select({ crm: portals.crm }).from(portals).where(eq(portals.id, portalId));
      const handler = row ? handlers[row.crm] : undefined;
      if (!handler) {
        deps.logger.info("crm job skipped: nothing lists the portal's channels", { kind: CHANNELS_CHANGED_JOB, portal: portalId, crm: row?.crm ?? null });
        return;
      }
      await handler.channelsChanged(portalId);
    },
  });
}
