import { sql } from "drizzle-orm";
import { findChannel } from "../../app/core/channels.js";
import { queueOutgoing } from "../../app/core/messages/outgoing.js";
import type { Db } from "../../app/db/index.js";
import { queryRows } from "../../app/db/index.js";
import { testDeps } from "../../test/support/deps.js";
import type { Arrivals } from "./arrivals.js";
import { BENCH_WAPPI_PROFILE } from "./fake-provider.js";
import { type LoadPlan, type LoadResult, runLoad, runPaced } from "./http-load.js";
import type { BenchChannel } from "./setup.js";
import { ascending, percentile, sleep } from "./stats.js";

/** The client every send goes to and every incoming message comes from (a real Russian mobile number). */
const PEER = "79115576366";

export interface Delivery {
  accepted: number;
  arrived: number;
  lost: number;
  duplicated: number;
  /** arrived although no 2xx was read: requests in flight when autocannon stopped (or timed out) that the server did accept */
  unconfirmed: number;
  /** the outbox had not finished within the wait: `lost` counts messages still queued */
  drained: boolean;
}

/** Jobs the server's pump could be working on now: leased, or due within a minute (a retry's backoff; hourly maintenance is not). */
export async function openJobs(db: Db): Promise<number> {
  const [row] = await queryRows<{ n: number | string }>(
    db,
    sql`select count(*) as n from outbox_jobs where status = 'running' or (status = 'pending' and run_at <= now() + interval '1 minute')`,
  );
  return Number(row?.n ?? 0);
}

/**
 * Waits until every accepted key reached the fake, or nothing new arrived for `quietMs` while
 * the outbox holds no runnable job, or `maxMs` passed; then counts lost and duplicated. A short
 * pause after the last arrival lets a duplicate that would follow show up.
 */
export async function settle(db: Db, arrivals: Arrivals, accepted: Set<string>, prefix: string, maxMs: number, quietMs = 10_000): Promise<Delivery> {
  const until = Date.now() + maxMs;
  let last = -1;
  let lastChange = Date.now();
  let drained = false;
  while (Date.now() < until) {
    const arrived = arrivals.arrivedOf(accepted);
    if (arrived === accepted.size) {
      drained = true;
      break;
    }
    if (arrived !== last) {
      last = arrived;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > quietMs && (await openJobs(db)) === 0) {
      drained = true; // nothing left to run: what is missing is lost
      break;
    }
    await sleep(100);
  }
  await sleep(500);
  const t = arrivals.tally(accepted, prefix);
  return { accepted: t.accepted, arrived: t.arrived, lost: t.lost, duplicated: t.duplicated, unconfirmed: t.unexpected, drained };
}

/** Tokens in turn, so each sees 1/N of the load and the 5-per-3-s limit per token is not what is measured. */
function rotation<T>(items: readonly T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length]!;
}

export function sendTextLoad(serverUrl: string, channels: readonly BenchChannel[], prefix: string, plan: Pick<LoadPlan, "connections" | "seconds" | "overallRate">): Promise<LoadResult> {
  const nextChannel = rotation(channels);
  let n = 0;
  return runLoad({
    url: serverUrl,
    ...plan,
    next() {
      const key = `${prefix}${++n}`;
      return { method: "GET", path: `/rest/webhook/wa/${nextChannel().token}/sendText?phone_number=${PEER}&body=${encodeURIComponent(key)}`, key };
    },
  });
}

/** Wappi's incoming-message webhook (app/providers/wappi/fixtures/webhook-incoming-message.json), a new id and text each time. */
export function hookLoad(
  serverUrl: string,
  channels: readonly BenchChannel[],
  prefix: string,
  plan: Pick<LoadPlan, "connections" | "seconds" | "overallRate" | "onSent"> & { paced?: boolean },
): Promise<LoadResult> {
  const nextChannel = rotation(channels);
  let n = 0;
  const runId = `${process.pid.toString(16)}${Date.now().toString(16)}`.toUpperCase();
  const { paced, ...load } = plan;
  const run = paced && load.overallRate ? (p: LoadPlan) => runPaced({ ...p, overallRate: load.overallRate! }) : runLoad;
  return run({
    url: serverUrl,
    ...load,
    next() {
      n += 1;
      const key = `${prefix}${n}`;
      const time = Math.floor(Date.now() / 1000);
      const body = {
        messages: [
          {
            wh_type: "incoming_message",
            profile_id: BENCH_WAPPI_PROFILE,
            id: `3A${runId}${prefix.replace(/\W/g, "").toUpperCase()}${n}`,
            body: key,
            type: "chat",
            from: `${PEER}@c.us`,
            to: "79602041988@c.us",
            senderName: "Bench",
            chatId: `${PEER}@c.us`,
            timestamp: new Date(time * 1000).toISOString(),
            time,
          },
        ],
      };
      return { method: "POST", path: nextChannel().hookPath, body: JSON.stringify(body), headers: { "content-type": "application/json" }, key };
    },
  });
}

export interface EndToEnd {
  load: LoadResult;
  p50Ms: number;
  p99Ms: number;
  measured: number;
}

/**
 * Provider webhook sent -> the fake portal's imconnector.send.messages carrying that text.
 * `paced`: one webhook every 1000/rate ms (runPaced); otherwise autocannon's bursts, the whole
 * second's quota at the start of each second.
 */
export async function endToEnd(
  db: Db,
  serverUrl: string,
  channels: readonly BenchChannel[],
  portal: Arrivals,
  opts: { seconds: number; rate: number; maxWaitMs: number; paced: boolean },
): Promise<{ e2e: EndToEnd; delivery: Delivery }> {
  const { seconds, rate, maxWaitMs, paced } = opts;
  const sentAt = new Map<string, number>();
  const prefix = paced ? "e2e-" : "e2eb-";
  const load = await hookLoad(serverUrl, channels, prefix, { connections: 20, seconds, overallRate: rate, paced, onSent: (key) => sentAt.set(key, performance.now()) });
  const delivery = await settle(db, portal, load.accepted, prefix, maxWaitMs);
  const latencies: number[] = [];
  for (const key of load.accepted) {
    const at = portal.firstAt(key);
    const sent = sentAt.get(key);
    if (at !== undefined && sent !== undefined) latencies.push(at - sent);
  }
  const sorted = ascending(latencies);
  return { e2e: { load, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), measured: sorted.length }, delivery };
}

export interface Drain {
  jobs: number;
  /** jobs per second between the first and the last arrival at the provider */
  jobsPerSec: number;
  /** commit of the batch -> first arrival (the pump's poll or wake-up) */
  firstMs: number;
  /** commit -> last arrival */
  totalMs: number;
  /** how long writing the batch took (before the commit) */
  queueMs: number;
  delivery: Delivery;
}

/**
 * `jobs` sends spread over all channels, queued in ONE transaction with the same core function
 * the webhook API uses (message row + send job), so the server's pump finds them all due at
 * once and the figure is its drain rate, not how fast the API can queue.
 */
export async function outboxDrain(db: Db, channels: readonly BenchChannel[], provider: Arrivals, jobs: number, maxWaitMs: number): Promise<Drain> {
  const deps = await testDeps(db);
  const rows = await Promise.all(channels.map((c) => findChannel(db, c.id)));
  const live = rows.filter((c) => c !== undefined);
  if (live.length === 0) throw new Error("outbox drain: no channel found");
  const prefix = "drain-";
  const keys = new Set<string>();
  const queueStarted = performance.now();
  await db.transaction(async (tx) => {
    const txDeps = { ...deps, db: tx };
    for (let i = 1; i <= jobs; i++) {
      const channel = live[i % live.length]!;
      const key = `${prefix}${i}`;
      await queueOutgoing(txDeps, { channel, peer: { phone: PEER }, content: { type: "text", text: key }, origin: "webhook_api", dedupKey: `api:${channel.id}:once:${crypto.randomUUID()}` });
      keys.add(key);
    }
  });
  const committed = performance.now();
  const delivery = await settle(db, provider, keys, prefix, maxWaitMs);
  const times = ascending([...keys].map((k) => provider.firstAt(k)).filter((t): t is number => t !== undefined));
  const first = times[0] ?? Number.NaN;
  const last = times[times.length - 1] ?? Number.NaN;
  return {
    jobs,
    jobsPerSec: times.length > 1 ? (times.length - 1) / ((last - first) / 1000) : Number.NaN,
    firstMs: first - committed,
    totalMs: last - committed,
    queueMs: committed - queueStarted,
    delivery,
  };
}
