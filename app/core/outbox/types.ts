import type { z } from "zod";
import type { Db } from "../../db/index.js";
import type { outboxJobs } from "../../db/schema.js";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";

export type Job = typeof outboxJobs.$inferSelect;

/**
 * The job may succeed later: retried with backoff, or after `delayMs` when the remote said so
 * (429 Retry-After). With `holdsPace` the refusal concerns the whole pace key (a provider that
 * says "slow down" means the number, not one message): no job of that key is claimed before
 * the retry time, in any process.
 */
export class RetryableError extends Error {
  override readonly name = "RetryableError";
  constructor(
    message: string,
    readonly delayMs?: number,
    readonly holdsPace = false,
  ) {
    super(message);
  }
}

/**
 * Not a failure: the job may not run before `delayMs` from now (a channel's daily cap is reached,
 * or the send moves to another channel's pace key). It waits without using an attempt, so a
 * message that waits for days is never dead-lettered for waiting.
 */
export class DeferredError extends RetryableError {
  readonly deferred = true;
  constructor(message: string, delayMs: number, holdsPace = false) {
    super(message, delayMs, holdsPace);
  }
}

/** Retrying cannot help (bad number, no messenger, invalid credentials): dead-letter at once. */
export class PermanentError extends Error {
  override readonly name = "PermanentError";
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface JobContext {
  job: Job;
  db: Db;
  clock: Clock;
  logger: Logger;
}

export interface JobHandler<S extends z.ZodType = z.ZodType> {
  /** payloads are checked on the way out: a job written by an older version fails loudly, not oddly */
  schema: S;
  handle(payload: z.output<S>, ctx: JobContext): Promise<void>;
  /** called once when the job goes to the dead letter, to show the failure to the origin */
  onDead?(payload: z.output<S>, error: string, ctx: JobContext): Promise<void>;
  /**
   * Jobs of this kind keep their pace key's order (a conversation's messages reach the CRM in
   * the order written): a retry holds the key until it runs again, so later jobs wait behind
   * it instead of overtaking it. Only a dead letter lets them pass.
   */
  ordered?: boolean;
}

export interface PaceSpec {
  /** usually `channel:<id>`: jobs sharing it are sent one at a time */
  key: string;
  minIntervalMs: number;
  jitterMs: number;
}

/** How the app asks for prompt processing after enqueueing (Node: the pump; Workers: a Queue). */
export interface JobWaker {
  wake(jobIds: string[]): void | Promise<void>;
}

export const noopWaker: JobWaker = { wake: () => {} };
