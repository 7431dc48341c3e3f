import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { systemClock } from "../app/core/clock.js";
import { silentLogger } from "../app/core/logger.js";
import { enqueueJob } from "../app/core/outbox/enqueue.js";
import { OutboxPump } from "../app/core/outbox/pump.js";
import { JobRegistry } from "../app/core/outbox/registry.js";
import type { Db } from "../app/db/index.js";
import { outboxJobs } from "../app/db/schema.js";
import { type Backend, backends, openTestDb } from "../test/support/db.js";

const JOBS = 2000;
const LATENCY_JOBS = 400;
const LATENCY_RATE = 200; // jobs per second offered while measuring latency

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function doneCount(db: Db): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(outboxJobs).where(eq(outboxJobs.status, "done"));
  return Number(row?.n ?? 0);
}

function pumpFor(db: Db, registry: JobRegistry): OutboxPump {
  return new OutboxPump({ db, registry, clock: systemClock, logger: silentLogger, pollMs: 1000, batch: 50, concurrency: 8, leaseMs: 60_000 });
}

async function benchBackend(backend: Backend): Promise<Record<string, string | number>> {
  const t = await openTestDb(backend);
  try {
    // 1. enqueue: one transaction per job, as the API does
    let started = performance.now();
    for (let i = 0; i < JOBS; i++) {
      await t.db.transaction((tx) => enqueueJob(tx, { kind: "noop", payload: { t: 0 }, maxAttempts: 3 }, new Date()));
    }
    const enqueueSecs = (performance.now() - started) / 1000;

    // 2. drain with a no-op handler
    const registry = new JobRegistry().register("noop", { schema: z.object({ t: z.number() }), async handle() {} });
    const drain = pumpFor(t.db, registry);
    started = performance.now();
    drain.start();
    while ((await doneCount(t.db)) < JOBS) await new Promise((r) => setTimeout(r, 5));
    const drainSecs = (performance.now() - started) / 1000;
    await drain.stop(1000);

    // 3. latency from enqueue (committed) to handler start, at a steady offered rate
    const latencies: number[] = [];
    const timed = new JobRegistry().register("timed", {
      schema: z.object({ t: z.number() }),
      async handle(p) {
        latencies.push(performance.now() - p.t);
      },
    });
    const pump = pumpFor(t.db, timed);
    pump.start();
    const gap = 1000 / LATENCY_RATE;
    const t0 = performance.now();
    for (let i = 0; i < LATENCY_JOBS; i++) {
      const due = t0 + i * gap;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const at = performance.now();
      await enqueueJob(t.db, { kind: "timed", payload: { t: at }, maxAttempts: 3 }, new Date());
      pump.wake();
    }
    while (latencies.length < LATENCY_JOBS) await new Promise((r) => setTimeout(r, 5));
    await pump.stop(1000);
    latencies.sort((a, b) => a - b);

    return {
      backend,
      "enqueue jobs/s": Math.round(JOBS / enqueueSecs),
      "complete jobs/s": Math.round(JOBS / drainSecs),
      "latency p50 ms": Number(percentile(latencies, 50).toFixed(1)),
      "latency p99 ms": Number(percentile(latencies, 99).toFixed(1)),
    };
  } finally {
    await t.close();
  }
}

export async function main(): Promise<void> {
  console.log(`outbox: ${JOBS} jobs enqueued one per transaction, drained by one pump (batch 50, concurrency 8, no-op handler);`);
  console.log(`latency: ${LATENCY_JOBS} jobs offered at ${LATENCY_RATE}/s, each woken at once, enqueue commit -> handler start`);
  const rows = [];
  for (const backend of await backends()) rows.push(await benchBackend(backend));
  console.table(rows);
  if (rows.length === 2) {
    const [a, b] = rows as [Record<string, number>, Record<string, number>];
    console.log(
      `postgres/pglite ratio: enqueue ${(b["enqueue jobs/s"]! / a["enqueue jobs/s"]!).toFixed(2)}x, complete ${(b["complete jobs/s"]! / a["complete jobs/s"]!).toFixed(2)}x`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
