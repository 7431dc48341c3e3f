import { sql } from "drizzle-orm";
import { hotStatement } from "../../db/hot-statement.js";
import type { Db } from "../../db/index.js";
import type { Job } from "./types.js";

const completeStatement = hotStatement<"ids" | "leases" | "at">(
  "complete_jobs",
  (p) => sql`with held as (select * from unnest(${p("ids")}::uuid[], ${p("leases")}::uuid[]) as h(id, lease)),
        finished as (
          update outbox_jobs j set status = 'done', last_error = null, lease_token = null, lease_until = null,
            updated_at = ${p("at")}::timestamptz, finished_at = ${p("at")}::timestamptz
          from held where j.id = held.id and j.status = 'running' and j.lease_token = held.lease
          returning j.id, j.pace_key),
        freed as (
          update pace_slots s set busy_job_id = null, busy_until = null
          from finished f where f.pace_key is not null and s.key = f.pace_key and s.busy_job_id = f.id)
        select id from finished`,
);

/**
 * Marks several claimed jobs done in ONE statement, each only if its caller still holds its
 * lease, and frees their pace slots in the same statement: completeJob (claim.ts) for a batch.
 * Returns the ids that were still held.
 */
export async function completeJobs(db: Db, jobs: readonly Job[], now: Date): Promise<Set<string>> {
  if (jobs.length === 0) return new Set();
  const at = now.toISOString();
  const ids = `{${jobs.map((j) => j.id).join(",")}}`;
  const leases = `{${jobs.map((j) => j.leaseToken ?? "00000000-0000-0000-0000-000000000000").join(",")}}`;
  const rows = await completeStatement.rows<{ id: string }>(db, { ids, leases, at });
  return new Set(rows.map((r) => r.id));
}

/**
 * Gathers the completions of jobs that finish at about the same time (the pump runs up to
 * OUTBOX_CONCURRENCY at once) into one statement, flushed on the next turn of the event loop:
 * under load a job's completion stops costing a round trip of its own, and when idle it waits
 * for nothing. Only the resident Node pump uses it; Workers complete each job on its own.
 */
export class CompletionBatcher {
  private pending: Array<{ job: Job; now: Date; done: (held: boolean) => void; fail: (err: unknown) => void }> = [];
  private scheduled = false;

  constructor(
    private readonly db: Db,
    private readonly maxBatch = 100,
  ) {}

  complete(job: Job, now: Date): Promise<boolean> {
    return new Promise((done, fail) => {
      this.pending.push({ job, now, done, fail });
      if (!this.scheduled) {
        this.scheduled = true;
        setTimeout(() => void this.flush(), 0);
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      const latest = batch.reduce((t, b) => (b.now > t ? b.now : t), batch[0]!.now);
      try {
        const held = await completeJobs(this.db, batch.map((b) => b.job), latest);
        for (const b of batch) b.done(held.has(b.job.id));
      } catch (err) {
        // each caller decides (processJob retries while the database is away, within its lease)
        for (const b of batch) b.fail(err);
      }
    }
  }
}
