import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { type Channel, createChannel } from "../../../app/core/channels.js";
import { issueAdminSession } from "../../../app/core/admin-session.js";
import { ManualClock } from "../../../app/core/clock.js";
import { processDue } from "../../../app/core/outbox/pump.js";
import { conversations, lineBindings, messages, outboxJobs, portals, webhookQuarantine } from "../../../app/db/schema.js";
import type { AppDeps, AppEnv } from "../../../app/deps.js";
import { createApp } from "../../../app/index.js";
import { buildRegistry } from "../../../app/jobs.js";
import incoming from "../../../app/providers/wappi/fixtures/webhook-incoming-message.json";
import { Recorder, serveFake } from "../../providers/provider-fake.js";
import { createWappiFake, WAPPI_PROFILE, WAPPI_TOKEN } from "../../providers/wappi/fake.js";
import { type Backend, openTestDb, type TestDb } from "../../support/db.js";
import { testConfig, testDeps } from "../../support/deps.js";
import { type FakeServer, startFake } from "../../support/fake-server.js";
import { FAKE_BOT_ID, FAKE_CHANNEL_ID, FAKE_CHANNEL_SECRET, FakeAmojo } from "./fake-amojo.js";

/** Bytes of the photo the media server hands out (a client's WhatsApp picture). */
export const PHOTO = new Uint8Array(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
/** the client of the Wappi incoming-message fixture */
export const CLIENT_PHONE = "79115576366";

export interface AmoAccount {
  portalId: string;
  accountId: string;
  amojoId: string;
}

export interface AmojoBound {
  account: AmoAccount;
  channel: Channel;
  hookSecret: string;
  scopeId: string;
  /** admin API bearer token of the account */
  token: string;
}

let serial = 0;

/**
 * The app on a test database with the amojo fake as the Chats API, a Wappi fake as the
 * messenger, a media server for client files and the real job registry: a scenario runs end to
 * end (provider webhook -> job -> new_message; amojo hook -> send -> status -> delivery_status).
 */
export class AmojoHarness {
  readonly clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  readonly amojo = new FakeAmojo(() => this.clock.now());
  readonly wappi = new Recorder();
  wappiServer!: FakeServer;
  media!: FakeServer;
  t!: TestDb;
  deps!: AppDeps;
  app!: Hono<AppEnv>;

  constructor(readonly backend: Backend) {}

  async start(configOverrides: Record<string, string> = {}): Promise<this> {
    this.t = await openTestDb(this.backend);
    await this.amojo.start();
    this.wappiServer = await serveFake((fake) => createWappiFake(fake, "whatsapp"), this.wappi);
    this.media = await startFake(new Hono().get("/media/:name", (c) => c.body(PHOTO, 200, { "content-type": "image/jpeg" })));
    const config = testConfig({
      PUBLIC_URL: "https://bridge.example",
      AMOCRM_AMOJO_URL: this.amojo.url,
      KOMMO_AMOJO_URL: this.amojo.url,
      AMOCRM_CHAT_CHANNEL_ID: FAKE_CHANNEL_ID,
      AMOCRM_CHAT_CHANNEL_SECRET: FAKE_CHANNEL_SECRET,
      AMOCRM_CHAT_BOT_ID: FAKE_BOT_ID,
      ...configOverrides,
    });
    this.deps = await testDeps(this.t.db, { clock: this.clock, config });
    this.app = createApp(this.deps);
    return this;
  }

  async close(): Promise<void> {
    await this.amojo.close();
    await this.wappiServer?.close();
    await this.media?.close();
    await this.t?.close();
  }

  /** An installed amoCRM account row (the OAuth helper's install writes the same facts). */
  async account(domain?: string): Promise<AmoAccount> {
    serial += 1;
    const accountId = String(30_440_000 + serial);
    const amojoId = crypto.randomUUID();
    const host = domain ?? `acc${serial}.amocrm.ru`;
    const [row] = await this.t.db
      .insert(portals)
      .values({ crm: "amocrm", externalId: accountId, domain: host, status: "active", settings: { baseUrl: `https://${host}`, amojoId } })
      .returning({ id: portals.id });
    return { portalId: row!.id, accountId, amojoId };
  }

  async channel(account: AmoAccount, name = "Sales"): Promise<{ channel: Channel; hookSecret: string }> {
    return createChannel(this.t.db, this.deps.keyring, {
      portalId: account.portalId,
      provider: "wappi",
      name,
      credentials: { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, apiUrl: this.wappiServer.url },
    });
  }

  async adminToken(account: AmoAccount): Promise<string> {
    return (await issueAdminSession(this.t.db, { portalId: account.portalId, userId: "1" }, this.clock.now())).token;
  }

  async call(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await this.app.request(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  /** An account with a Wappi channel bound through POST /api/channels/:id/bind. */
  async bound(account?: AmoAccount, name?: string): Promise<AmojoBound> {
    const acc = account ?? (await this.account());
    const { channel, hookSecret } = await this.channel(acc, name);
    const token = await this.adminToken(acc);
    const res = await this.call("POST", `/api/channels/${channel.id}/bind`, token);
    if (res.status !== 200) throw new Error(`bind failed: ${JSON.stringify(res.body)}`);
    return { account: acc, channel, hookSecret, scopeId: String(res.body.line), token };
  }

  /** Runs due jobs, moving the clock past pacing and retry delays, until none is left. */
  async runJobs(rounds = 6): Promise<void> {
    const registry = buildRegistry(this.deps);
    for (let i = 0; i < rounds; i++) {
      await processDue({ db: this.deps.db, registry, clock: this.clock, logger: this.deps.logger, batch: 10, concurrency: 4, leaseMs: 30_000, random: () => 0 });
      this.clock.advance(60_000);
    }
  }

  /** Wappi's incoming-message webhook (fixture) with other fields merged into the item. */
  clientWrites(b: AmojoBound, item: Record<string, unknown> = {}): Promise<Response> {
    const [base] = incoming.messages;
    const body = { messages: [{ ...base, id: `IN${crypto.randomUUID().replace(/-/g, "").slice(0, 16).toUpperCase()}`, ...item }] };
    return this.wappiHook(b, body);
  }

  wappiHook(b: AmojoBound, body: unknown): Promise<Response> {
    return Promise.resolve(
      this.app.request(`/hooks/wappi/${b.hookSecret}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    );
  }

  /** A manager's message hook on the bound channel's scope. */
  hook(b: AmojoBound, payload: unknown, opts: { secret?: string; signature?: string | null; raw?: string } = {}): Promise<Response> {
    return this.amojo.sendHook((path, init) => this.app.request(path, init), b.scopeId, payload, opts);
  }

  messagesOf(channelId: string) {
    return this.t.db.select().from(messages).where(eq(messages.channelId, channelId));
  }

  conversationsOf(channelId: string) {
    return this.t.db.select().from(conversations).where(eq(conversations.channelId, channelId));
  }

  bindingsOf(channelId: string) {
    return this.t.db.select().from(lineBindings).where(eq(lineBindings.channelId, channelId));
  }

  jobsOf(kind: string) {
    return this.t.db.select().from(outboxJobs).where(eq(outboxJobs.kind, kind));
  }

  quarantined() {
    return this.t.db.select().from(webhookQuarantine).where(eq(webhookQuarantine.provider, "amojo"));
  }

  /** Wappi send requests received so far, their JSON bodies. */
  wappiSends(): Array<Record<string, unknown>> {
    return this.wappi.requests.filter((r) => r.path.includes("/message/")).map((r) => JSON.parse(r.body) as Record<string, unknown>);
  }
}
