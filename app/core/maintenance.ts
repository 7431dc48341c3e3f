import { and, eq, lt, notExists, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../db/index.js";
import { adminSessions, files, outboxJobs, paceSlots, portals } from "../db/schema.js";
import type { AppDeps } from "../deps.js";
import { AUTOMATION_LISTS_VERSION, scheduleAutomationRefresh } from "./admin-channels.js";
import type { FileStore } from "./file-store.js";
import { enqueueJob } from "./outbox/enqueue.js";
import type { JobRegistry } from "./outbox/registry.js";
import { ensurePolling } from "./polling.js";
import { pruneRateBuckets } from "./rate-limit.js";

export const MAINTENANCE_JOB = "maintenance.cleanup";
const DAY = 24 * 3600_000;

/** How long finished jobs are kept (dead letters stay until an admin retries or drops them). */
export const DONE_JOB_RETENTION_MS = 7 * DAY;

const payloadSchema = z.object({ hour: z.string() });

/** Housekeeping that keeps the hot tables small; runs through the outbox like any job. */
export async function cleanup(db: Db, now: Date, store?: FileStore): Promise<{ jobs: number; buckets: number; slots: number; files: number }> {
  const jobs = await db
    .delete(outboxJobs)
    .where(and(eq(outboxJobs.status, "done"), lt(outboxJobs.finishedAt, new Date(now.getTime() - DONE_JOB_RETENTION_MS))))
    .returning({ id: outboxJobs.id });
  const buckets = await pruneRateBuckets(db, new Date(now.getTime() - DAY));
  // slots of dead jobs stay: an admin retry puts them back in the queue behind that slot
  const slots = await db
    .delete(paceSlots)
    .where(
      and(
        lt(paceSlots.nextAt, new Date(now.getTime() - DAY)),
        notExists(
          db
            .select({ one: sql`1` })
            .from(outboxJobs)
            .where(and(eq(outboxJobs.paceKey, paceSlots.key), sql`${outboxJobs.status} in ('pending', 'running', 'dead')`)),
        ),
      ),
    )
    .returning({ key: paceSlots.key });
  await db.delete(adminSessions).where(lt(adminSessions.expiresAt, now));
  // re-hosted media past retention: the row goes first, so a half-done cleanup never leaves a link to nothing
  let removedFiles = 0;
  if (store) {
    const expired = await db
      .delete(files)
      .where(lt(files.expiresAt, now))
      .returning({ key: files.storageKey });
    for (const f of expired) await store.delete(f.key);
    removedFiles = expired.length;
  }
  return { jobs: jobs.length, buckets, slots: slots.length, files: removedFiles };
}

/** Portals refreshed per maintenance run: a deploy over many portals spreads the CRM calls over hours. */
const AUTOMATION_UPGRADES_PER_RUN = 100;

/**
 * Bitrix24 portals whose robots were registered before AUTOMATION_LISTS_VERSION get the
 * refresh a channel change would give them (amoCRM registers nothing: its widget reads the
 * list live). Counted by the version the refresh records on success, so a failed one is asked again.
 */
async function upgradeAutomationLists(deps: Pick<AppDeps, "db" | "clock" | "config">): Promise<number> {
  const stale = await deps.db
    .select({ id: portals.id })
    .from(portals)
    .where(
      and(
        eq(portals.crm, "bitrix24"),
        eq(portals.status, "active"),
        sql`coalesce((${portals.settings}->>'automationVersion')::int, 0) < ${AUTOMATION_LISTS_VERSION}`,
      ),
    )
    .limit(AUTOMATION_UPGRADES_PER_RUN);
  for (const p of stale) await scheduleAutomationRefresh(deps, p.id);
  return stale.length;
}

export function registerMaintenance(registry: JobRegistry, deps: { files: FileStore } & Pick<AppDeps, "config">): void {
  registry.register(MAINTENANCE_JOB, {
    schema: payloadSchema,
    async handle(_payload, ctx) {
      const removed = await cleanup(ctx.db, ctx.clock.now(), deps.files);
      const pollChainsStarted = await ensurePolling(ctx.db, ctx.clock.now());
      const automationRefreshes = await upgradeAutomationLists({ db: ctx.db, clock: ctx.clock, config: deps.config });
      ctx.logger.info("maintenance done", { ...removed, pollChainsStarted, automationRefreshes });
    },
  });
}

/** Enqueues this hour's cleanup once, however many instances or cron ticks ask. */
export async function scheduleMaintenance(db: Db, now: Date): Promise<void> {
  const hour = now.toISOString().slice(0, 13);
  await enqueueJob(
    db,
    { kind: MAINTENANCE_JOB, payload: { hour }, dedupKey: `${MAINTENANCE_JOB}:${hour}`, maxAttempts: 3 },
    now,
  );
}
