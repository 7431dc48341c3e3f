import { eq, sql } from "drizzle-orm";
import { createChannel } from "../../../app/core/channels.js";
import { createWebhookToken } from "../../../app/core/webhook-tokens.js";
import type { Db } from "../../../app/db/index.js";
import { channels, messages } from "../../../app/db/schema.js";
import type { AppDeps } from "../../../app/deps.js";
import { seedPortal } from "../../support/channels.js";
import { openTestDb, type TestDb } from "../../support/db.js";
import { TEST_ENCRYPTION_KEY, testDeps } from "../../support/deps.js";

export interface FaultChannel {
  id: string;
  /** Telegram channels: the bot token the fake sees in the path */
  botToken: string;
  webhookToken: string;
  /** the secret of its provider webhook URL (/hooks/telegram/<secret>) */
  hookSecret: string;
}

export interface Scenario {
  testDb: TestDb;
  db: Db;
  deps: AppDeps;
  /** the environment of a server process on this database (a proxy's URL may replace the database's) */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Telegram channels whose API is the given fake, each with a webhook token */
  seedTelegramChannels(count: number, apiUrl: string): Promise<FaultChannel[]>;
  /** one channel of any provider, connected, with a webhook token */
  seedChannel(provider: string, credentials: Record<string, unknown>, messenger: "whatsapp" | "telegram"): Promise<Omit<FaultChannel, "botToken">>;
  messageStatuses(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** A fresh PostgreSQL database of its own, migrated, and the means to seed it from the test. */
export async function openScenario(): Promise<Scenario> {
  const testDb = await openTestDb("postgres", { poolSize: 4 });
  const deps = await testDeps(testDb.db);
  const scenario: Scenario = {
    testDb,
    db: testDb.db,
    deps,
    env: (extra = {}) => ({
      DATABASE_URL: testDb.url!,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      OUTBOX_POLL_MS: "100",
      SHUTDOWN_DEADLINE_MS: "5000",
      ...extra,
    }),
    async seedChannel(provider, credentials, messenger) {
      const portalId = await seedPortal(deps, `faults-${crypto.randomUUID().slice(0, 8)}`);
      const { channel, hookSecret } = await createChannel(testDb.db, deps.keyring, { portalId, provider, name: provider, credentials, messenger });
      await testDb.db.update(channels).set({ state: "connected" }).where(eq(channels.id, channel.id));
      const issued = await createWebhookToken(deps, channel);
      return { id: channel.id, webhookToken: issued.token, hookSecret };
    },
    async seedTelegramChannels(count, apiUrl) {
      const out: FaultChannel[] = [];
      for (let i = 0; i < count; i++) {
        const botToken = `${7000000000 + i}:${"A".repeat(20)}${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
        out.push({ botToken, ...(await scenario.seedChannel("telegram", { botToken, apiUrl }, "telegram")) });
      }
      return out;
    },
    async messageStatuses() {
      const rows = await testDb.db
        .select({ status: messages.status, n: sql<number>`count(*)::int` })
        .from(messages)
        .where(eq(messages.direction, "out"))
        .groupBy(messages.status);
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },
    close: () => testDb.close(),
  };
  return scenario;
}

/** Queues one text through the public webhook API, as an integrator's script does. */
export async function sendText(
  baseUrl: string,
  channel: FaultChannel,
  chatId: string,
  body: string,
  opts: { requestId?: string; timeoutMs?: number } = {},
): Promise<{ status: number; json: Record<string, unknown>; ms: number; retryAfter: string | null }> {
  const started = Date.now();
  const res = await fetch(`${baseUrl}/rest/webhook/tg/${channel.webhookToken}/sendText`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ chat_id: chatId, body, ...(opts.requestId ? { request_id: opts.requestId } : {}) }),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
  });
  const json = (await res.json()) as Record<string, unknown>;
  return { status: res.status, json, ms: Date.now() - started, retryAfter: res.headers.get("retry-after") };
}

/** Polls until `check` holds or the time is up (then throws with what it last saw). */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > until) throw new Error(`${what}: not reached in ${timeoutMs} ms; last seen ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends grouped by text: how many texts arrived once, more than once, or never. */
export function countDeliveries(expected: string[], delivered: string[]): { accepted: number; delivered: number; lost: number; duplicated: number } {
  const seen = new Map<string, number>();
  for (const text of delivered) seen.set(text, (seen.get(text) ?? 0) + 1);
  let lost = 0;
  let duplicated = 0;
  for (const text of expected) {
    const n = seen.get(text) ?? 0;
    if (n === 0) lost += 1;
    if (n > 1) duplicated += n - 1;
  }
  return { accepted: expected.length, delivered: expected.length - lost, lost, duplicated };
}
