import { lt, sql } from "drizzle-orm";
import { hotStatement } from "../db/hot-statement.js";
import { type Db, queryRows } from "../db/index.js";
import { rateBuckets } from "../db/schema.js";

export interface RateLimit {
  limit: number;
  windowMs: number;
}

export type RateDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterMs: number };

/** OLChat's published limits for the public webhook API (seed 001). */
export const WEBHOOK_API_LIMIT: RateLimit = { limit: 5, windowMs: 3_000 };
export const CHECK_PHONE_LIMIT: RateLimit = { limit: 3, windowMs: 1_000 };

// raw SQL parameters: postgres.js does not serialise Date objects here, so `at` is ISO text;
// the answer is the count, not the array: postgres.js without type fetching (Workers) returns bigint[] as text
const hitStatement = hotStatement<"key" | "t" | "since" | "at" | "limit">(
  "rate_limit_hit",
  (p) => sql`insert into rate_buckets (key, hits, updated_at) values (${p("key")}, array[${p("t")}::bigint], ${p("at")}::timestamptz)
        on conflict (key) do update
          set hits = array(select h from unnest(rate_buckets.hits) h where h > ${p("since")}::bigint order by h) || ${p("t")}::bigint,
              updated_at = ${p("at")}::timestamptz
          where (select count(*) from unnest(rate_buckets.hits) h where h > ${p("since")}::bigint) < ${p("limit")}::int
        returning cardinality(hits) as used`,
);

/**
 * Sliding-window limiter kept in Postgres, so it holds across any number of instances: the row
 * of a key keeps the times of the hits inside the window (at most `limit` of them). One
 * statement decides and records; `INSERT ... ON CONFLICT DO UPDATE` locks the row, so
 * concurrent callers for one key are serialised by the database and never over-admit.
 */
export async function hitRateLimit(db: Db, key: string, rule: RateLimit, now: Date): Promise<RateDecision> {
  const t = now.getTime();
  const since = t - rule.windowMs;
  const at = now.toISOString();
  const rows = await hitStatement.rows<{ used: number | string }>(db, { key, t, since, at, limit: rule.limit });
  const hit = rows[0];
  if (hit) return { allowed: true, remaining: Math.max(0, rule.limit - Number(hit.used)) };

  const [row] = await queryRows<{ oldest: number | string | null }>(
    db,
    sql`select min(h) as oldest from rate_buckets, unnest(hits) h where key = ${key} and h > ${since}::bigint`,
  );
  const oldest = row?.oldest == null ? t : Number(row.oldest);
  return { allowed: false, retryAfterMs: Math.max(1, oldest + rule.windowMs - t) };
}

/** Drops buckets untouched for longer than any window we use (called by the maintenance job). */
export async function pruneRateBuckets(db: Db, olderThan: Date): Promise<number> {
  const rows = await db.delete(rateBuckets).where(lt(rateBuckets.updatedAt, olderThan)).returning({ key: rateBuckets.key });
  return rows.length;
}
