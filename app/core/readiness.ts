import { sql } from "drizzle-orm";
import journal from "../../migrations/meta/_journal.json" with { type: "json" };
import { queryRows } from "../db/index.js";
import type { AppDeps } from "../deps.js";

/**
 * What /health/ready and /health report: the database answers, every migration of this build
 * is applied, and (Node) the job pump is still ticking. Liveness (/health/live) checks none of
 * these: a process waiting on its database is alive, only not ready.
 */
export type CheckStatus = "ok" | "fail" | "skipped";
export interface Check {
  status: CheckStatus;
  detail?: string;
}
export interface Readiness {
  ok: boolean;
  database: Check;
  migrations: Check;
  pump: Check;
}

/** The newest migration this build ships; drizzle records each applied one with its journal `when`. */
const LATEST_MIGRATION = journal.entries.reduce((a, b) => (b.when > a.when ? b : a));

/** A pump that ticks every OUTBOX_POLL_MS has stalled when it has not ticked for this long. */
const PUMP_STALL_MS = 30_000;

export const TIMED_OUT = Symbol("timed out");

/** The promise's value, or TIMED_OUT after `ms`; the promise itself keeps running (nothing cancels a query). */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function checkMigrations(db: AppDeps["db"]): Promise<Check> {
  const [table] = await queryRows<{ name: string | null }>(db, sql`select to_regclass('drizzle.__drizzle_migrations')::text as name`);
  if (!table?.name) return { status: "fail", detail: "no migrations applied" };
  const [row] = await queryRows<{ applied: number | string | null }>(db, sql`select max(created_at) as applied from drizzle.__drizzle_migrations`);
  const applied = Number(row?.applied ?? 0);
  return applied >= LATEST_MIGRATION.when
    ? { status: "ok", detail: LATEST_MIGRATION.tag }
    : { status: "fail", detail: `${LATEST_MIGRATION.tag} not applied (npm run db:migrate)` };
}

export function checkPump(deps: Pick<AppDeps, "config" | "pumpHeartbeat">, nowMs = Date.now()): Check {
  // Workers have no resident pump: Queue messages and the cron sweep run the jobs
  if (deps.config.runtime === "workers" || !deps.pumpHeartbeat) return { status: "skipped" };
  const last = deps.pumpHeartbeat();
  if (!last) return { status: "fail", detail: "the job pump has not ticked yet" };
  const age = nowMs - last.getTime();
  const limit = Math.max(PUMP_STALL_MS, 5 * deps.config.OUTBOX_POLL_MS);
  return age <= limit ? { status: "ok" } : { status: "fail", detail: `the job pump last ticked ${Math.round(age / 1000)} s ago` };
}

/** Database and migrations in one bounded wait; a hung database reads as `fail`, not as a hung probe. */
export async function checkReadiness(deps: Pick<AppDeps, "db" | "config" | "pumpHeartbeat">, timeoutMs: number): Promise<Readiness> {
  const pump = checkPump(deps);
  let database: Check;
  let migrations: Check;
  try {
    const result = await withTimeout(checkMigrations(deps.db), timeoutMs);
    if (result === TIMED_OUT) {
      database = { status: "fail", detail: `no answer within ${timeoutMs} ms` };
      migrations = { status: "skipped" };
    } else {
      database = { status: "ok" };
      migrations = result;
    }
  } catch {
    database = { status: "fail", detail: "query failed" };
    migrations = { status: "skipped" };
  }
  const ok = [database, migrations, pump].every((c) => c.status !== "fail");
  return { ok, database, migrations, pump };
}
