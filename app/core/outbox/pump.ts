import type { Clock } from "../clock.js";
import { withFields } from "../logger.js";
import { type Metrics, metricsOf } from "../metrics.js";
import { runInScope } from "../request-scope.js";
import { claimJobs } from "./claim.js";
import { CompletionBatcher } from "./completions.js";
import { type JobOutcome, type ProcessDeps, processJob } from "./process.js";
import type { Job, JobWaker } from "./types.js";

export interface PumpOptions extends ProcessDeps {
  clock: Clock;
  metrics?: Metrics;
  pollMs: number;
  batch: number;
  concurrency: number;
  leaseMs: number;
}

/**
 * Claims and runs due jobs continuously: every `pollMs`, and at once when woken after an
 * enqueue. Any number of pumps may run against one database. Uses only timers and promises,
 * so it runs under Node and in tests; Workers process batches through processDue instead.
 */
export class OutboxPump implements JobWaker {
  private readonly inflight = new Map<string, { job: Job; done: Promise<void> }>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private ticking = false;
  private again = false;
  private running = false;
  private idleWaiters: Array<() => void> = [];
  private lastTick: Date | undefined;

  private readonly opts: PumpOptions;

  constructor(opts: PumpOptions) {
    // jobs finishing together complete in one statement (completions.ts)
    this.opts = { ...opts, completions: opts.completions ?? new CompletionBatcher(opts.db) };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  wake(): void {
    if (!this.running) return;
    if (this.ticking) this.again = true;
    else this.schedule(0);
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  /** When the last tick finished, claim failed or not: a pump stuck on a hung query stops moving it (/health/ready). */
  get lastTickAt(): Date | undefined {
    return this.lastTick;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (!this.running || this.ticking) return;
    this.ticking = true;
    let claimed = 0;
    try {
      const room = Math.min(this.opts.batch, this.opts.concurrency - this.inflight.size);
      if (room > 0) {
        const jobs = await claimJobs(this.opts.db, {
          now: this.opts.clock.now(),
          leaseMs: this.opts.leaseMs,
          limit: room,
          ...(this.opts.random ? { random: this.opts.random } : {}),
        });
        claimed = jobs.length;
        for (const job of jobs) this.run(job);
      }
    } catch (err) {
      this.opts.logger.error("outbox claim failed", { error: err instanceof Error ? err.message : String(err) });
    } finally {
      this.ticking = false;
      this.lastTick = new Date();
    }
    if (claimed === 0 && this.inflight.size === 0) this.notifyIdle();
    // A full batch means more may be waiting; a wake during the tick means new work arrived.
    const more = this.again || (claimed > 0 && this.inflight.size < this.opts.concurrency);
    this.again = false;
    this.schedule(more ? 0 : this.opts.pollMs);
  }

  private run(job: Job): void {
    const done = runClaimedJob(this.opts, job)
      .then(() => undefined)
      .catch((err: unknown) => {
        // Recording the outcome failed (database away): the lease expires and the job is retried.
        this.opts.logger.error("outbox job bookkeeping failed", {
          job: job.id,
          error: err instanceof Error ? err.message : String(err),
        });
      })
      .finally(() => {
        this.inflight.delete(job.id);
        // claim again once half the slots are free, not after every job: a claim per finished
        // job cost two round trips for a batch of one
        if (this.running && this.inflight.size <= Math.floor(this.opts.concurrency / 2)) this.wake();
      });
    this.inflight.set(job.id, { job, done });
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves the next time a tick finds nothing to claim and nothing is in flight. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.wake();
    });
  }

  /**
   * Graceful stop: claim nothing more and let in-flight jobs finish until the deadline. A job
   * still running then keeps its lease and is taken again when the lease expires, as if this
   * process had died: handing it back at once could have a second process send a message the
   * first is still sending.
   */
  async stop(deadlineMs: number): Promise<{ finished: number; stillRunning: number }> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.ticking) await new Promise((r) => setTimeout(r, 5));
    const pending = [...this.inflight.values()];
    let timeout: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(pending.map((p) => p.done)),
      new Promise<void>((r) => {
        timeout = setTimeout(r, deadlineMs);
      }),
    ]);
    clearTimeout(timeout);
    const stillRunning = this.inflight.size;
    this.notifyIdle();
    return { finished: pending.length - stillRunning, stillRunning };
  }
}

/**
 * One pass for runtimes without a resident process (Workers): claim due jobs and run them.
 * Each round claims no more than it runs at once, so no claimed job waits behind others
 * while its lease runs out.
 */
export async function processDue(opts: Omit<PumpOptions, "pollMs">, maxRounds = 10): Promise<number> {
  let total = 0;
  for (let round = 0; round < maxRounds; round++) {
    const jobs = await claimJobs(opts.db, {
      now: opts.clock.now(),
      leaseMs: opts.leaseMs,
      limit: Math.min(opts.batch, opts.concurrency),
      ...(opts.random ? { random: opts.random } : {}),
    });
    if (jobs.length === 0) break;
    total += jobs.length;
    await Promise.all(jobs.map((job) => runClaimedJob(opts, job)));
  }
  return total;
}

/**
 * processJob with what operations need around it: the job's log lines carry its id and the
 * request that created it, jobs it enqueues inherit that request id, and its outcome is counted.
 */
export async function runClaimedJob(opts: ProcessDeps & { metrics?: Metrics | undefined }, job: Job): Promise<JobOutcome> {
  const ids = { job: job.id, ...(job.requestId ? { request_id: job.requestId } : {}) };
  const outcome = await runInScope(ids, () => processJob({ ...opts, logger: withFields(opts.logger, ids) }, job));
  metricsOf(opts).inc("chatbridge_jobs_total", { kind: job.kind, outcome });
  return outcome;
}
