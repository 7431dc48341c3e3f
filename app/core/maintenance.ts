import { and, eq, inArray, lt, notExists, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../db/index.js";
import { adminSessions, files, messages, outboxJobs, paceSlots, portals } from "../db/schema.js";
import type { AppDeps } from "../deps.js";
import { AUTOMATION_LISTS_VERSION, scheduleAutomationRefresh } from "./admin-channels.js";
import type { FileStore } from "./file-store.js";
import { enqueueJob } from "./outbox/enqueue.js";
import type { JobRegistry } from "./outbox/registry.js";
import { ensurePolling } from "./polling.js";
import { pruneRateBuckets } from "./rate-limit.js";

export const MAINTENANCE_JOB = "maintenance.cleanup";
const DAY = 24 * 3600_000;

/** How long finished (done) jobs are kept; dead letters follow RETENTION_DEAD_JOBS_DAYS. */
export const DONE_JOB_RETENTION_MS = 7 * DAY;

/** The retention variables (README "Retention"); the defaults are the config defaults. */
export interface Retention {
  messagesDays: number;
  filesDays: number;
  deadJobsDays: number;
}
export const DEFAULT_RETENTION: Retention = { messagesDays: 180, filesDays: 30, deadJobsDays: 30 };

export function retentionOf(config: Pick<AppDeps["config"], "RETENTION_MESSAGES_DAYS" | "RETENTION_FILES_DAYS" | "RETENTION_DEAD_JOBS_DAYS">): Retention {
  return { messagesDays: config.RETENTION_MESSAGES_DAYS, filesDays: config.RETENTION_FILES_DAYS, deadJobsDays: config.RETENTION_DEAD_JOBS_DAYS };
}

/**
 * Rows per delete statement and statements per table per run: a short transaction each, so a
 * big backlog (a first run after years) never locks a table for long; the rest goes next hour.
 */
export const PURGE_BATCH = 1000;
export const PURGE_MAX_BATCHES = 20;

/** Deletes in batches until a batch comes back short or the run's bound is reached; returns what the batches returned. */
async function inBatches<T>(deleteBatch: (limit: number) => Promise<T[]>, batch = PURGE_BATCH, maxBatches = PURGE_MAX_BATCHES): Promise<T[]> {
  const removed: T[] = [];
  for (let i = 0; i < maxBatches; i++) {
    const rows = await deleteBatch(batch);
    removed.push(...rows);
    if (rows.length < batch) break;
  }
  return removed;
}

const payloadSchema = z.object({ hour: z.string() });

export interface CleanupResult {
  jobs: number;
  deadJobs: number;
  messages: number;
  buckets: number;
  slots: number;
  files: number;
}

/** Housekeeping that keeps the hot tables small; runs through the outbox like any job. */
export async function cleanup(
  db: Db,
  now: Date,
  store?: FileStore,
  retention: Retention = DEFAULT_RETENTION,
  batch: { size?: number; maxBatches?: number } = {},
): Promise<CleanupResult> {
  const run = <T>(deleteBatch: (limit: number) => Promise<T[]>) => inBatches(deleteBatch, batch.size, batch.maxBatches);
  const ago = (ms: number) => new Date(now.getTime() - ms);
  // finished jobs, and dead letters an admin did not retry in time (finished_at: when it died)
  const finishedBefore = (status: "done" | "dead", cutoff: Date) =>
    run((limit) =>
      db
        .delete(outboxJobs)
        .where(
          inArray(
            outboxJobs.id,
            db
              .select({ id: outboxJobs.id })
              .from(outboxJobs)
              .where(and(eq(outboxJobs.status, status), lt(outboxJobs.finishedAt, cutoff)))
              .limit(limit),
          ),
        )
        .returning({ id: outboxJobs.id }),
    );
  const jobs = await finishedBefore("done", ago(DONE_JOB_RETENTION_MS));
  const deadJobs = await finishedBefore("dead", ago(retention.deadJobsDays * DAY));
  const oldMessages = await run((limit) =>
    db
      .delete(messages)
      .where(
        inArray(
          messages.id,
          db
            .select({ id: messages.id })
            .from(messages)
            .where(lt(messages.createdAt, ago(retention.messagesDays * DAY)))
            .limit(limit),
        ),
      )
      .returning({ id: messages.id }),
  );
  const buckets = await pruneRateBuckets(db, ago(DAY));
  // slots of dead jobs stay: an admin retry puts them back in the queue behind that slot
  const slots = await db
    .delete(paceSlots)
    .where(
      and(
        lt(paceSlots.nextAt, ago(DAY)),
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
  // re-hosted media past its link's expiry or RETENTION_FILES_DAYS: the row goes first, so a
  // half-done cleanup never leaves a link to nothing (an orphaned object costs only space)
  let removedFiles = 0;
  if (store) {
    const expired = await run((limit) =>
      db
        .delete(files)
        .where(
          inArray(
            files.id,
            db
              .select({ id: files.id })
              .from(files)
              .where(or(lt(files.expiresAt, now), lt(files.createdAt, ago(retention.filesDays * DAY))))
              .limit(limit),
          ),
        )
        .returning({ key: files.storageKey }),
    );
    for (const f of expired) await store.delete(f.key);
    removedFiles = expired.length;
  }
  return { jobs: jobs.length, deadJobs: deadJobs.length, messages: oldMessages.length, buckets, slots: slots.length, files: removedFiles };
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
      const removed = await cleanup(ctx.db, ctx.clock.now(), deps.files, retentionOf(deps.config));
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
