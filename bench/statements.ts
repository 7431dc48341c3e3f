/**
 * The hot statements one by one (app/db/hot-statement.ts), on PGlite and PostgreSQL, against a
 * raw baseline measured in the same run: the rate-limit hit's own SQL text sent straight to the
 * driver (no query builder, no name). Each figure is calls per second with 10 callers at once.
 *
 *   BENCH_ONLY=statements npm run bench        BENCH_STATEMENT_CALLS (3000) calls per figure
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Channel } from "../app/core/channels.js";
import { queueOutgoing } from "../app/core/messages/outgoing.js";
import { claimJobs } from "../app/core/outbox/claim.js";
import { completeJobs } from "../app/core/outbox/completions.js";
import { hitRateLimit } from "../app/core/rate-limit.js";
import { type Db, queryRows } from "../app/db/index.js";
import { seedChannel } from "../test/support/channels.js";
import { testDeps } from "../test/support/deps.js";
import { type Backend, backends, openTestDb } from "../test/support/db.js";

const CALLS = z.coerce.number().int().min(100).default(3000).parse(process.env.BENCH_STATEMENT_CALLS ?? undefined);
const CALLERS = 10;

const RATE_SQL = `insert into rate_buckets (key, hits, updated_at) values ($1, array[$2::bigint], $3::timestamptz)
  on conflict (key) do update
    set hits = array(select h from unnest(rate_buckets.hits) h where h > $4::bigint order by h) || $2::bigint, updated_at = $3::timestamptz
    where (select count(*) from unnest(rate_buckets.hits) h where h > $4::bigint) < $5::int
  returning cardinality(hits) as used`;

/** The driver under drizzle: node-postgres' Pool and PGlite both answer query(text, params). */
function driverOf(db: Db): { query(text: string, params: unknown[]): Promise<unknown> } {
  const client: unknown = (db as unknown as { $client?: unknown }).$client;
  if (client && typeof client === "object" && "query" in client && typeof client.query === "function") {
    return client as { query(text: string, params: unknown[]): Promise<unknown> };
  }
  throw new Error("statements bench: the Db has no driver client");
}

/** Runs `call(i)` CALLS times with CALLERS at once; calls per second. */
async function rate(call: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      for (let i = next++; i < CALLS; i = next++) await call(i);
    }),
  );
  return CALLS / ((performance.now() - started) / 1000);
}

async function benchBackend(backend: Backend): Promise<Array<[string, number]>> {
  const t = await openTestDb(backend);
  try {
    const db = t.db;
    const driver = driverOf(db);
    const rule = { limit: 1_000_000, windowMs: 1 };
    const out: Array<[string, number]> = [];
    // warm every path once (the first call of a hot statement prepares it)
    await hitRateLimit(db, "warm", rule, new Date());
    const now = () => new Date();
    const rawHit = (i: number) => {
      const t0 = Date.now();
      return driver.query(RATE_SQL, [`raw:${i % 500}`, t0, new Date(t0).toISOString(), t0 - 1, 1_000_000]);
    };
    await rate(rawHit); // warm-up: connections opened, code compiled
    out.push(["raw driver: rate-limit hit text", await rate(rawHit)]);
    out.push([
      "rate-limit hit, built per call",
      await rate((i) => {
        const t0 = Date.now();
        const at = new Date(t0).toISOString();
        return queryRows(
          db,
          sql`insert into rate_buckets (key, hits, updated_at) values (${`built:${i % 500}`}, array[${t0}::bigint], ${at}::timestamptz)
            on conflict (key) do update
              set hits = array(select h from unnest(rate_buckets.hits) h where h > ${t0 - 1}::bigint order by h) || ${t0}::bigint, updated_at = ${at}::timestamptz
              where (select count(*) from unnest(rate_buckets.hits) h where h > ${t0 - 1}::bigint) < ${1_000_000}::int
            returning cardinality(hits) as used`,
        );
      }),
    ]);
    out.push(["rate-limit hit, hot statement", await rate((i) => hitRateLimit(db, `hot:${i % 500}`, rule, now()))]);

    // the webhook API's insert: message + conversation + send job + pace slot in one statement
    const deps = await testDeps(db);
    // 50 channels without pacing, so a claim finds 10 slots free (one job per channel at a time)
    const chans: Channel[] = [];
    for (let c = 0; c < 50; c++) {
      const { channel } = await seedChannel(deps, "wappi", { apiToken: "bench-token", profileId: `bench${c}` });
      chans.push({ ...channel, paceMinMs: 0, paceJitterMs: 0 });
    }
    out.push([
      "queueOutgoing (message + job)",
      await rate((i) =>
        queueOutgoing(deps, {
          channel: chans[i % chans.length]!,
          peer: { phone: `7911${String(i % 1000).padStart(7, "0")}` },
          content: { type: "text", text: `m${i}` },
          origin: "webhook_api",
          dedupKey: `api:bench:once:${i}`,
        }),
      ),
    ]);
    // claim and complete what was queued, 10 jobs a claim (the pump's batch under load)
    let claimed = 0;
    const started = performance.now();
    for (;;) {
      const jobs = await claimJobs(db, { now: new Date(Date.now() + 60_000), leaseMs: 60_000, limit: 10 });
      if (jobs.length === 0) break;
      await completeJobs(db, jobs, new Date());
      claimed += jobs.length;
    }
    out.push(["claim + complete, 10 a batch (jobs/s, one caller)", claimed / ((performance.now() - started) / 1000)]);
    return out;
  } finally {
    await t.close();
  }
}

export async function main(): Promise<void> {
  console.log(`hot statements: ${CALLS} calls per figure, ${CALLERS} callers at once; ratio to the raw driver call in the same run`);
  for (const backend of await backends()) {
    const figures = await benchBackend(backend);
    const raw = figures[0]![1];
    for (const [what, perSec] of figures) {
      console.log(`${backend.padEnd(8)} ${what.padEnd(52)} ${Math.round(perSec).toLocaleString("en-US").padStart(8)}/s  ${(perSec / raw).toFixed(2)}x`);
    }
  }
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? "")).href) await main();
