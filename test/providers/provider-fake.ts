import { Hono } from "hono";
import { systemClock } from "../../app/core/clock.js";
import { silentLogger } from "../../app/core/logger.js";
import type { Messenger, Provider, ProviderContext, WebhookRequest } from "../../app/providers/types.js";
import { testConfig } from "../support/deps.js";
import { type FakeServer, startFake } from "../support/fake-server.js";

/** One HTTP request as the fake received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: string;
}

/** An answer the suite makes the fake give instead of its own (error mapping, states). */
export interface FakeAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** answer this many consecutive requests (default 1): a provider that renews its token on 401 and retries sees the second */
  times?: number;
}

/**
 * Handed to a kit's fake: it reports every wire-format mistake through `check`, and the suite
 * fails any scenario that left a violation behind.
 */
export interface FakeRecorder {
  readonly requests: RecordedRequest[];
  readonly violations: string[];
  /** records `message` as a violation unless ok; returns ok so the route can answer an error */
  check(ok: boolean, message: string): boolean;
  /** compares with JSON equality and records a violation naming `what` on mismatch */
  checkEqual(actual: unknown, expected: unknown, what: string): boolean;
  /** the next request still runs through the fake's route (so it is checked), then gets this answer */
  answerNext(answer: FakeAnswer): void;
}

/** Where the provider under test is pointed: raw credentials (parsed by the provider's schema). */
export interface FakeTarget {
  credentials: unknown;
  messenger: Messenger;
  /** env overrides for testConfig(), for providers whose API host comes from config */
  config?: Record<string, string>;
}

export interface WebhookInput {
  body: string | object;
  method?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

/** A ProviderContext over the test config, real clock, silent logger and a fresh cache. */
export function providerContext<C>(provider: Provider<C>, target: FakeTarget, channelId = "ch_contract"): ProviderContext<C> {
  return {
    channelId,
    credentials: provider.credentials.parse(target.credentials),
    messenger: target.messenger,
    fetch: globalThis.fetch.bind(globalThis),
    clock: systemClock,
    logger: silentLogger,
    config: testConfig(target.config),
    cache: new Map(),
    channelSecret: async (purpose) => `secret-${channelId}-${purpose}`.replace(/[^A-Za-z0-9_-]/g, "_").padEnd(43, "x").slice(0, 43),
  };
}

export function webhookRequest(input: WebhookInput): WebhookRequest {
  return {
    method: input.method ?? "POST",
    headers: new Headers({ "content-type": "application/json", ...input.headers }),
    query: new URLSearchParams(input.query),
    body: typeof input.body === "string" ? input.body : JSON.stringify(input.body),
  };
}

export class Recorder implements FakeRecorder {
  requests: RecordedRequest[] = [];
  violations: string[] = [];
  queued: FakeAnswer[] = [];
  check(ok: boolean, message: string): boolean {
    if (!ok) this.violations.push(message);
    return ok;
  }
  checkEqual(actual: unknown, expected: unknown, what: string): boolean {
    return this.check(
      JSON.stringify(actual) === JSON.stringify(expected),
      `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`,
    );
  }
  answerNext(answer: FakeAnswer): void {
    for (let i = 0; i < (answer.times ?? 1); i++) this.queued.push(answer);
  }
  reset(): void {
    this.requests = [];
    this.violations = [];
    this.queued = [];
  }
}

/** Serves the kit's fake behind a recorder: every request is logged, checked, and maybe overridden. */
export async function serveFake(createFake: (fake: FakeRecorder) => Hono, recorder: Recorder): Promise<FakeServer> {
  const fake = createFake(recorder);
  fake.notFound((c) => {
    recorder.violations.push(`no such endpoint in the real API: ${c.req.method} ${c.req.path}`);
    return c.json({ error: "not found" }, 404);
  });
  fake.onError((err, c) => {
    recorder.violations.push(`fake route failed on the request: ${err.message}`);
    return c.json({ error: "bad request" }, 400);
  });
  const front = new Hono();
  front.all("*", async (c) => {
    const body = c.req.method === "GET" || c.req.method === "HEAD" ? "" : await c.req.text();
    const url = new URL(c.req.url);
    recorder.requests.push({ method: c.req.method, path: url.pathname, query: url.searchParams, headers: c.req.raw.headers, body });
    const own = await fake.fetch(
      new Request(c.req.url, { method: c.req.method, headers: c.req.raw.headers, ...(body !== "" ? { body } : {}) }),
    );
    const answer = recorder.queued.shift();
    if (!answer) return own;
    const payload = answer.body === undefined ? "" : typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
    return new Response(payload, {
      status: answer.status,
      headers: { "content-type": "application/json", ...answer.headers },
    });
  });
  return startFake(front);
}

