import autocannon from "autocannon";

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
