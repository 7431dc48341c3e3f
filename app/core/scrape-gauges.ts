import { sql } from "drizzle-orm";
import { queryRows } from "../db/index.js";
import type { Db } from "../db/index.js";
import type { Metrics } from "./metrics.js";

/**
 * Figures that live in the database, read when Prometheus scrapes: right on every runtime and
 * instance (a Workers isolate or one Node process of several knows only its own counters).
 */
export async function collectDbGauges(db: Db, metrics: Metrics, now: Date): Promise<void> {
  const at = sql`${now.toISOString()}::timestamptz`;
  const [outbox] = await queryRows<{ pending: number | string; running: number | string; dead: number | string; oldest: number | string | null }>(
    db,
    sql`select count(*) filter (where status = 'pending') as pending,
               count(*) filter (where status = 'running') as running,
               count(*) filter (where status = 'dead') as dead,
               extract(epoch from (${at} - min(run_at) filter (where status = 'pending' and run_at <= ${at}))) as oldest
        from outbox_jobs where status in ('pending', 'running', 'dead')`,
  );
  metrics.set("chatbridge_outbox_pending", {}, Number(outbox?.pending ?? 0));
  metrics.set("chatbridge_outbox_running", {}, Number(outbox?.running ?? 0));
  metrics.set("chatbridge_outbox_dead", {}, Number(outbox?.dead ?? 0));
  metrics.set("chatbridge_outbox_oldest_due_seconds", {}, Math.max(0, Number(outbox?.oldest ?? 0)));

  const channels = await queryRows<{ provider: string; state: string; n: number | string }>(
    db,
    sql`select provider, state, count(*) as n from channels group by provider, state order by provider, state`,
  );
  for (const c of channels) metrics.set("chatbridge_channels", { provider: c.provider, state: c.state }, Number(c.n));
}
