import autocannon from "autocannon";
import { Pool } from "undici";
import { ascending, percentile } from "./stats.js";

/** One request the bench makes; `key` is what the fakes will see of it (the message text). */
export interface PlannedRequest {
  method: "GET" | "POST";
  path: string;
  body?: string;
  headers?: Record<string, string>;
  key: string;
}

export interface LoadResult {
  seconds: number;
  /** requests answered, whatever the status */
  answered: number;
  ok: number;
  limited: number;
  otherStatus: number;
  /** connection errors and timeouts (autocannon counts timeouts among errors) */
  errors: number;
  timeouts: number;
  /** answered with 2xx per second */
  okPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** keys of the requests answered 2xx: what the fakes must eventually see once each */
  accepted: Set<string>;
  /** other statuses seen, e.g. {"503": 12} */
  statuses: Record<string, number>;
}

export interface LoadPlan {
  url: string;
  connections: number;
  seconds: number;
  /** requests per second over all connections; unset: as fast as the server answers */
  overallRate?: number;
  next(): PlannedRequest;
  /** called as each request is written (its key), e.g. to time end to end */
  onSent?(key: string): void;
}

interface Ctx {
  key?: string;
}

/**
 * Runs autocannon against the server with a fresh request each time (`setupRequest`), keeping
 * the key of every request answered 2xx. With one request per connection in flight, the
 * context of a connection holds the key of the request being answered.
 */
export async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const accepted = new Set<string>();
  const statuses: Record<string, number> = {};
  let ok = 0;
  let limited = 0;
  let otherStatus = 0;
  const result = await autocannon({
    url: plan.url,
    connections: plan.connections,
    duration: plan.seconds,
    pipelining: 1,
    timeout: 10,
    ...(plan.overallRate ? { overallRate: Math.max(1, Math.round(plan.overallRate)) } : {}),
    requests: [
      {
        setupRequest(req, context) {
          const planned = plan.next();
          (context as Ctx).key = planned.key;
          plan.onSent?.(planned.key);
          return Object.assign(req, {
            method: planned.method,
            path: planned.path,
            body: planned.body ?? "",
            headers: planned.headers ?? {},
          });
        },
        onResponse(status, _body, context) {
          const key = (context as Ctx).key;
          if (status >= 200 && status < 300) {
            ok += 1;
            if (key !== undefined) accepted.add(key);
          } else if (status === 429) limited += 1;
          else {
            otherStatus += 1;
            statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
          }
        },
      },
    ],
  });
  return {
    seconds: result.duration,
    answered: ok + limited + otherStatus,
    ok,
    limited,
    otherStatus,
    errors: result.errors,
    timeouts: result.timeouts,
    okPerSec: ok / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    accepted,
    statuses,
  };
}

/**
 * Open-loop arrivals evenly spread: request i is due at start + i/rate seconds, whatever the
 * answers, and its latency counts from when it was due (a request that waits for a free
 * connection waits on the clock). Written here because autocannon cannot offer this: its
 * overallRate gives each connection a quota per second that it sends back to back when the
 * second starts (lib/httpClient.js, a 1 s interval), so 200/s arrive as a burst of 200 at the
 * top of each second, and latency then measures the burst, not the rate.
 */
export async function runPaced(plan: LoadPlan & { overallRate: number }): Promise<LoadResult> {
  const url = new URL(plan.url);
  const pool = new Pool(url.origin, { connections: plan.connections, pipelining: 1, keepAliveTimeout: 10_000 });
  const accepted = new Set<string>();
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let ok = 0;
  let limited = 0;
  let otherStatus = 0;
  let errors = 0;
  let timeouts = 0;
  const total = Math.round(plan.overallRate * plan.seconds);
  const gapMs = 1000 / plan.overallRate;
  const started = performance.now();
  const inflight: Array<Promise<void>> = [];
  const send = async (dueAt: number): Promise<void> => {
    const planned = plan.next();
    plan.onSent?.(planned.key);
    try {
      const res = await pool.request({
        method: planned.method,
        path: planned.path,
        headers: planned.headers ?? {},
        ...(planned.body !== undefined ? { body: planned.body } : {}),
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      await res.body.dump();
      latencies.push(performance.now() - dueAt);
      if (res.statusCode >= 200 && res.statusCode < 300) {
        ok += 1;
        accepted.add(planned.key);
      } else if (res.statusCode === 429) limited += 1;
      else {
        otherStatus += 1;
        statuses[String(res.statusCode)] = (statuses[String(res.statusCode)] ?? 0) + 1;
      }
    } catch (err) {
      errors += 1;
      if (err instanceof Error && /timeout/i.test(err.name + err.message)) timeouts += 1;
    }
  };
  for (let i = 0; i < total; i++) {
    const dueAt = started + i * gapMs;
    const wait = dueAt - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inflight.push(send(dueAt));
  }
  await Promise.all(inflight);
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  const sorted = ascending(latencies);
  return {
    seconds,
    answered: ok + limited + otherStatus,
    ok,
    limited,
    otherStatus,
    errors,
    timeouts,
    okPerSec: ok / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    accepted,
    statuses,
  };
}
