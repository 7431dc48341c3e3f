import postgres from "postgres";
import { ascending, percentile } from "./stats.js";

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh database `chatbridge_bench_<pid>` on the server of `adminUrl`; drop() removes it even with sessions open. */
export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `chatbridge_bench_${process.pid}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    // a previous run of the same pid that was killed with SIGKILL left it behind
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.unsafe(`create database "${name}"`);
  } catch (err) {
    await admin.end({ timeout: 1 });
    throw new Error(`load bench needs PostgreSQL at ${redacted(adminUrl)} (user postgres, trust auth): ${err instanceof Error ? err.message : String(err)}`);
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      try {
        await admin.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await admin.end({ timeout: 2 });
      }
    },
  };
}

function redacted(url: string): string {
  const u = new URL(url);
  u.password = "";
  return u.toString();
}

export interface RawBaseline {
  txPerSec: number;
  transactions: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * The machine's own limit for what every accepted message costs: one transaction of two
 * single-row inserts into two scratch tables (message row + job), over `connections`
 * connections for `seconds`. The scratch tables are dropped afterwards.
 */
export async function rawBaseline(url: string, seconds: number, connections = 20): Promise<RawBaseline> {
  const sql = postgres(url, { max: connections, onnotice: () => {}, prepare: true });
  try {
    await sql`create table bench_raw_message (id bigserial primary key, body text not null, created_at timestamptz not null default now())`;
    await sql`create table bench_raw_job (id bigserial primary key, kind text not null, payload jsonb not null, run_at timestamptz not null default now())`;
    const latencies: number[] = [];
    const until = performance.now() + seconds * 1000;
    const started = performance.now();
    const worker = async (n: number) => {
      for (let i = 0; performance.now() < until; i++) {
        const t0 = performance.now();
        await sql.begin(async (tx) => {
          await tx`insert into bench_raw_message (body) values (${`raw ${n} ${i}`})`;
          await tx`insert into bench_raw_job (kind, payload) values ('send', ${tx.json({ n, i })})`;
        });
        latencies.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: connections }, (_, n) => worker(n)));
    const elapsed = (performance.now() - started) / 1000;
    const sorted = ascending(latencies);
    await sql`drop table bench_raw_message`;
    await sql`drop table bench_raw_job`;
    return { txPerSec: latencies.length / elapsed, transactions: latencies.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
  } finally {
    await sql.end({ timeout: 2 });
  }
}
