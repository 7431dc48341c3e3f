import fc from "fast-check";
import { sql } from "drizzle-orm";
import type { Hono } from "hono";
import { expect } from "vitest";
import { ERROR_STATUS } from "../../app/core/errors.js";
import type { AppDeps, AppEnv } from "../../app/deps.js";
import { createApp } from "../../app/index.js";
import { openTestDb, type TestDb } from "../support/db.js";
import { testConfig, testDeps } from "../support/deps.js";
import type { FuzzRequest } from "./arbitraries.js";

/** 200 generated requests per route (the brief); FUZZ_RUNS lowers it for a quick local look. */
export const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const ANSWER_WITHIN_MS = 5_000;
/** an in-memory PGlite with every migration applied: seconds alone, far more on a busy machine */
export const STARTUP_MS = 180_000;

/**
 * Tables whose rows may change on a rejected request, with why. A write to any other table
 * (insert, update or delete, even of the same values) during a malformed request fails the run.
 */
const ALWAYS_EXCLUDED = new Set([
  // sliding-window rate limits record every hit, rejected ones included: that is their job
  "rate_buckets",
]);

/** What a route may do with malformed input beyond answering it. */
export interface RouteExpectations {
  /** the route answers HTML pages (Bitrix24 settings frames): a short error page is fine */
  html?: boolean;
  /** the provider decides the answer as plain text (the Cloud API's hub.challenge handshake) */
  plainText?: boolean;
  /** tables this route documents writing for authenticated-but-malformed input (quarantine) */
  mayWrite?: readonly string[];
  /** forged-auth cases: a 2xx answer would be a hole (off for public pages such as /health) */
  mustReject?: boolean;
}

/** The real app on an in-memory PGlite, with a fetch spy that fails the run when called. */
export class FuzzApp {
  readonly outbound: string[] = [];
  t!: TestDb;
  deps!: AppDeps;
  app!: Hono<AppEnv>;
  /** the fuzz_writes sequence number already looked at */
  seen = 0;

  async start(config: Record<string, string> = {}): Promise<this> {
    this.t = await openTestDb("pglite");
    const spy: typeof fetch = async (input) => {
      const url = input instanceof Request ? input.url : String(input);
      this.outbound.push(url);
      throw new Error(`fuzz: unexpected outbound call to ${url}`);
    };
    this.deps = await testDeps(this.t.db, { config: testConfig(config), fetch: spy });
    this.app = createApp(this.deps);
    const rows = await this.t.db.execute<{ table_name: string }>(
      sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`,
    );
    // a row-level trigger on every watched table logs each write (a rolled-back transaction
    // rolls its log rows back too): one cheap read per run instead of checksumming every table
    await this.t.db.execute(sql.raw("create table fuzz_writes (seq bigserial primary key, tbl text not null, op text not null)"));
    await this.t.db.execute(sql.raw(`create function fuzz_log_write() returns trigger language plpgsql as $$
      begin insert into fuzz_writes (tbl, op) values (TG_TABLE_NAME, TG_OP); return null; end $$;`));
    for (const { table_name: t } of rowsOf<{ table_name: string }>(rows)) {
      if (ALWAYS_EXCLUDED.has(t)) continue;
      await this.t.db.execute(sql.raw(`create trigger fuzz_watch after insert or update or delete on "${t}" for each row execute function fuzz_log_write()`));
    }
    return this;
  }

  /** Writes to watched tables since `after` (the last seq seen), minus the tables a route may write. */
  async writesSince(after: number, allowed: readonly string[] = []): Promise<{ last: number; tables: string[] }> {
    const rows = rowsOf<{ seq: string | number; tbl: string; op: string }>(
      await this.t.db.execute(sql`select seq, tbl, op from fuzz_writes where seq > ${after} order by seq`),
    );
    const last = rows.length > 0 ? Number(rows[rows.length - 1]!.seq) : after;
    const tables = [...new Set(rows.filter((r) => !allowed.includes(r.tbl)).map((r) => `${r.op} ${r.tbl}`))];
    return { last, tables };
  }

  async request(req: FuzzRequest): Promise<Response> {
    const init: RequestInit = { method: req.method, headers: req.headers };
    if (req.body !== undefined && req.method !== "GET" && req.method !== "HEAD") init.body = req.body;
    return this.app.request(`http://localhost${req.path}`, init);
  }

  async close(): Promise<void> {
    await this.t?.close();
  }
}

function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/** A stable seed per route name, so a run is reproducible; FUZZ_SEED replaces it. */
export function seedFor(name: string): number {
  if (process.env.FUZZ_SEED) return Number(process.env.FUZZ_SEED);
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h | 0;
}

function withinTime<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: no answer within ${ANSWER_WITHIN_MS} ms for ${what}`)), ANSWER_WITHIN_MS);
  });
  return Promise.race([work, hang]).finally(() => clearTimeout(timer));
}

/** What must hold for every malformed request; throws a message naming the broken rule. */
export async function checkAnswer(req: FuzzRequest, res: Response, rules: RouteExpectations, forged: boolean): Promise<void> {
  const what = `${req.method} ${req.path.slice(0, 200)}`;
  const text = await withinTime(res.text(), `the body of ${what}`);
  if (res.status >= 500) throw new Error(`${res.status} for ${what}: ${text.slice(0, 500)}`);
  // WHATWG URL parsing resolves `%2e%2e` like `..`: a path that lands on another route (the
  // home page) is that route's answer, not a forged call that got through
  const top = (p: string) => p.split("/")[1] ?? "";
  const landed = top(new URL(req.path, "http://localhost").pathname) === top(req.path.split("?")[0]!);
  // a CORS preflight carries no credentials by design (admin cors.ts answers it for allowed origins)
  const preflight = req.method === "OPTIONS";
  if (forged && landed && !preflight && rules.mustReject !== false && res.status < 400) throw new Error(`forged request accepted (${res.status}) for ${what}: ${text.slice(0, 300)}`);
  if (res.status < 400 || req.method === "HEAD") return;
  const type = res.headers.get("content-type") ?? "";
  if ((rules.html && type.includes("text/html")) || (rules.plainText && type.includes("text/plain"))) {
    if (text.length > 64 * 1024) throw new Error(`error page of ${text.length} bytes for ${what}`);
    return;
  }
  if (!type.includes("application/json")) throw new Error(`non-JSON ${res.status} (${type}) for ${what}: ${text.slice(0, 200)}`);
  const body = JSON.parse(text) as { error?: unknown };
  const code = String(body.error);
  if (!(code in ERROR_STATUS)) throw new Error(`unknown error code ${code} for ${what}`);
  if (ERROR_STATUS[code as keyof typeof ERROR_STATUS] !== res.status) throw new Error(`error ${code} answered with ${res.status} for ${what}`);
}

export interface FuzzCase {
  name: string;
  app: FuzzApp;
  requests: fc.Arbitrary<FuzzRequest>;
  /** last touch before sending, for what needs async work (an HMAC over the generated body) */
  prepare?: (req: FuzzRequest) => Promise<FuzzRequest>;
  /** the requests carry forged or foreign credentials: a success is a failure */
  forged: boolean;
  expect?: RouteExpectations;
}

function describeRequest(req: FuzzRequest): string {
  const body = req.body === undefined ? "" : typeof req.body === "string" ? req.body : `<${req.body.byteLength} bytes>`;
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, v.length > 120 ? `${v.slice(0, 120)}…(${v.length})` : v]));
  return JSON.stringify({ ...req, headers, path: req.path.slice(0, 300), body: body.slice(0, 300) });
}

/**
 * Runs NUM_RUNS generated requests through the route and checks, for each: an answer within 5 s,
 * no 5xx, the JSON error shape with a code from ERROR_STATUS, no table changed, no outbound call.
 * A failure names the route, the replay seed and path, and the (shrunk) request.
 */
export async function fuzzRoute(c: FuzzCase): Promise<void> {
  const expectations = c.expect ?? {};
  const allowed = expectations.mayWrite ?? [];
  const seed = seedFor(c.name);
  c.app.seen = (await c.app.writesSince(c.app.seen)).last;
  const property = fc.asyncProperty(c.requests, async (generated) => {
    const req = c.prepare ? await c.prepare(generated) : generated;
    c.app.outbound.length = 0;
    const res = await withinTime(c.app.request(req), `${req.method} ${req.path.slice(0, 200)}`);
    await checkAnswer(req, res, expectations, c.forged);
    if (c.app.outbound.length > 0) throw new Error(`outbound call for a malformed request: ${c.app.outbound.join(", ")}`);
    const writes = await c.app.writesSince(c.app.seen, allowed);
    c.app.seen = writes.last;
    if (writes.tables.length > 0) throw new Error(`database written by a malformed request: ${writes.tables.join(", ")}`);
  });
  const out = await fc.check(property, { numRuns: NUM_RUNS, seed, endOnFailure: process.env.FUZZ_SHRINK !== "1" });
  if (out.failed) {
    const example = out.counterexample?.[0];
    const message =
      `fuzz ${c.name} failed after ${out.numRuns} runs; replay with FUZZ_SEED=${out.seed} (path ${out.counterexamplePath ?? "-"}, FUZZ_SHRINK=1 to shrink)\n` +
      `${out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance)}\n` +
      `request: ${example ? describeRequest(example) : "-"}`;
    expect.fail(message);
  }
}
