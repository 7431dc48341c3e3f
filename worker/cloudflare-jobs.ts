import type { MessageBatch, Queue } from "@cloudflare/workers-types";
import { inArray } from "drizzle-orm";
import { z } from "zod";
import type { Logger } from "../app/core/logger.js";
import type { JobWaker } from "../app/core/outbox/types.js";
import type { Db } from "../app/db/index.js";
import { outboxJobs } from "../app/db/schema.js";

/**
 * Job processing on Workers. Postgres is the source of truth: a Queue message only says "job X
 * is worth looking at now". A lost message delays a job until the next cron sweep; a duplicate
 * one finds the job claimed or done, because claims go through FOR UPDATE SKIP LOCKED + leases.
 */

export const jobMessageSchema = z.object({ jobId: z.uuid() });
export type JobMessage = z.infer<typeof jobMessageSchema>;

/** Cloudflare caps sendBatch at 100 messages and a message delay at 12 hours. */
const SEND_BATCH_MAX = 100;
const MAX_DELAY_SECONDS = 12 * 3600;
/** A due job the consumer could not claim (paced channel, full batch) is looked at again this soon. */
const BUSY_RETRY_SECONDS = 2;

/**
 * Dispatches jobs as soon as a request enqueues them, without holding up its answer: the
 * request registers `settled()` with waitUntil. Starting at once (not after the response)
 * lets a webhook-API call with `wait` see its message go out within the same request.
 * Each job id is dispatched once however often it is woken.
 */
export class EagerWaker implements JobWaker {
  private readonly seen = new Set<string>();
  private readonly running: Array<Promise<void>> = [];

  constructor(private readonly dispatch: (jobIds: string[]) => Promise<void>) {}

  wake(jobIds: string[]): void {
    const fresh = jobIds.filter((id) => !this.seen.has(id));
    for (const id of fresh) this.seen.add(id);
    if (fresh.length > 0) this.running.push(this.dispatch(fresh));
  }

  get jobIds(): string[] {
    return [...this.seen];
  }

  /** Resolves when every dispatch started so far has finished, successfully or not. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.running);
  }
}

/**
 * For woken jobs: the ids go to the Queue (so they are processed even if this isolate is
 * cut off), then they are processed right here for low latency. Whichever of the two comes
 * first claims the job; the other finds nothing due.
 */
export async function dispatchWokenJobs(
  jobIds: string[],
  queue: Queue<JobMessage>,
  processDueJobs: () => Promise<number>,
  logger: Logger,
): Promise<void> {
  if (jobIds.length === 0) return;
  try {
    for (let i = 0; i < jobIds.length; i += SEND_BATCH_MAX) {
      await queue.sendBatch(jobIds.slice(i, i + SEND_BATCH_MAX).map((jobId) => ({ body: { jobId } })));
    }
  } catch (err) {
    logger.warn("job queue send failed; the cron sweep will pick the jobs up", {
      jobs: jobIds.length,
      error: err instanceof Error ? err.message : String(err),
    });
  }
  await processDueJobs();
}

/**
 * Queue consumer: runs due jobs, then settles each message by what Postgres says of its job.
 * Finished, unknown or held elsewhere: ack (a holder that dies leaves a lease the cron sweep
 * reclaims). Waiting for a retry: redeliver when it is due, so a backoff needs no cron tick.
 */
export async function consumeJobBatch(
  batch: MessageBatch<unknown>,
  db: Db,
  processDueJobs: () => Promise<number>,
  now: () => Date,
  logger: Logger,
): Promise<void> {
  try {
    await processDueJobs();
  } catch (err) {
    logger.error("job queue batch failed; redelivering", { error: err instanceof Error ? err.message : String(err) });
    batch.retryAll({ delaySeconds: BUSY_RETRY_SECONDS });
    return;
  }

  const wanted = new Map<string, string>();
  for (const message of batch.messages) {
    const parsed = jobMessageSchema.safeParse(message.body);
    if (parsed.success) wanted.set(message.id, parsed.data.jobId);
    else {
      logger.warn("job queue message dropped: not a job message", { message: message.id });
      message.ack();
    }
  }
  const ids = [...new Set(wanted.values())];
  const rows =
    ids.length === 0
      ? []
      : await db
          .select({ id: outboxJobs.id, status: outboxJobs.status, runAt: outboxJobs.runAt })
          .from(outboxJobs)
          .where(inArray(outboxJobs.id, ids));
  const jobs = new Map(rows.map((r) => [r.id, r]));
  const at = now().getTime();

  for (const message of batch.messages) {
    const jobId = wanted.get(message.id);
    if (jobId === undefined) continue;
    const job = jobs.get(jobId);
    if (!job || job.status !== "pending") {
      message.ack();
      continue;
    }
    const waitSeconds = Math.ceil((job.runAt.getTime() - at) / 1000);
    message.retry({ delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(BUSY_RETRY_SECONDS, waitSeconds)) });
  }
}
