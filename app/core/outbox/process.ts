import type { Db } from "../../db/index.js";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import { type BackoffPolicy, backoffDelay, defaultBackoff } from "./backoff.js";
import { retryWhileDatabaseAway } from "../database-errors.js";
import { completeJob, deadLetterJob, retryJobLater } from "./claim.js";
import type { CompletionBatcher } from "./completions.js";
import type { JobRegistry } from "./registry.js";
import { DeferredError, type Job, type JobContext, PermanentError, RetryableError } from "./types.js";

export interface ProcessDeps {
  db: Db;
  registry: JobRegistry;
  clock: Clock;
  logger: Logger;
  backoff?: BackoffPolicy;
  random?: () => number;
  /** completes jobs in batches (the resident pump); without it each job completes on its own */
  completions?: CompletionBatcher;
}

/** how long before a job's lease ends its bookkeeping stops waiting for the database */
const SETTLE_MARGIN_MS = 1_000;

export type JobOutcome = "done" | "retry" | "dead" | "lost";

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 2000);
  return String(err).slice(0, 2000);
}

/**
 * Runs one claimed job through its handler and records the outcome. Used by the Node pump and
 * by the Workers queue/cron handlers alike, so retry and dead-letter rules live in one place.
 */
export async function processJob(deps: ProcessDeps, job: Job): Promise<JobOutcome> {
  const { db, registry, clock, logger } = deps;
  const handler = registry.get(job.kind);
  const ctx: JobContext = { job, db, clock, logger };
  // Recording the outcome waits for a database that is away, up to shortly before the lease
  // ends: otherwise the job would sit "running" until the lease expired (a minute by default)
  // and run again then, although its work was done.
  // (the lease is in the job clock's time; the wait is in real time)
  const leaseLeftMs = (job.leaseUntil?.getTime() ?? 0) - clock.now().getTime();
  const settle = <T>(write: () => Promise<T>) => retryWhileDatabaseAway(write, Date.now() + leaseLeftMs - SETTLE_MARGIN_MS);

  const dead = async (error: string, payload?: unknown): Promise<JobOutcome> => {
    const ok = await settle(() => deadLetterJob(db, job, error, clock.now()));
    if (!ok) return "lost";
    logger.warn("job dead-lettered", { job: job.id, kind: job.kind, attempts: job.attempts, error });
    if (handler?.onDead && payload !== undefined) {
      try {
        await handler.onDead(payload, error, ctx);
      } catch (err) {
        logger.error("job onDead hook failed", { job: job.id, kind: job.kind, error: describe(err) });
      }
    }
    return "dead";
  };

  if (job.leaseUntil && job.leaseUntil.getTime() <= clock.now().getTime()) {
    // claimed too long ago: another processor may hold it by now, so running it could duplicate
    logger.warn("job skipped: its lease expired before it started", { job: job.id, kind: job.kind });
    return "lost";
  }
  if (!handler) {
    // during a rolling deploy an older process may meet a kind only newer code handles: wait for it
    const error = `no handler registered for job kind ${job.kind}`;
    if (job.attempts >= job.maxAttempts) return dead(error);
    const now = clock.now();
    const delay = backoffDelay(job.attempts, deps.backoff ?? defaultBackoff, deps.random);
    return (await settle(() => retryJobLater(db, job, error, new Date(now.getTime() + delay), now))) ? "retry" : "lost";
  }
  const parsed = handler.schema.safeParse(job.payload);
  if (!parsed.success) return dead(`invalid payload for ${job.kind}: ${parsed.error.message}`);
  // A claim counts an attempt even when the holder died before finishing; a job that keeps
  // killing its worker must not be re-claimed forever.
  if (job.attempts > job.maxAttempts) {
    return dead(`lease expired after ${job.maxAttempts} attempts (last error: ${job.lastError ?? "none"})`, parsed.data);
  }

  try {
    await handler.handle(parsed.data, ctx);
  } catch (err) {
    const error = describe(err);
    if (err instanceof DeferredError) {
      const now = clock.now();
      const ok = await settle(() => retryJobLater(db, job, error, new Date(now.getTime() + (err.delayMs ?? 0)), now, { holdPace: err.holdsPace, refundAttempt: true }));
      if (ok) logger.info("job deferred", { job: job.id, kind: job.kind, delay: err.delayMs, reason: err.message });
      return ok ? "retry" : "lost";
    }
    if (err instanceof PermanentError || job.attempts >= job.maxAttempts) return dead(error, parsed.data);
    const delay =
      err instanceof RetryableError && err.delayMs !== undefined
        ? err.delayMs
        : backoffDelay(job.attempts, deps.backoff ?? defaultBackoff, deps.random);
    const now = clock.now();
    const holdPace = (err instanceof RetryableError && err.holdsPace) || handler.ordered === true;
    const ok = await settle(() => retryJobLater(db, job, error, new Date(now.getTime() + delay), now, { holdPace }));
    if (ok) logger.info("job will be retried", { job: job.id, kind: job.kind, attempt: job.attempts, delay, error });
    return ok ? "retry" : "lost";
  }
  const { completions } = deps;
  const ok = await settle(() => (completions ? completions.complete(job, clock.now()) : completeJob(db, job, clock.now())));
  if (!ok) logger.warn("job finished after its lease was lost", { job: job.id, kind: job.kind });
  return ok ? "done" : "lost";
}
