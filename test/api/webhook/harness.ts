import { eq } from "drizzle-orm";
import type { Hono } from "hono";
import { type Channel, createChannel } from "../../../app/core/channels.js";
import { ManualClock } from "../../../app/core/clock.js";
import type { Logger } from "../../../app/core/logger.js";
import { processDue } from "../../../app/core/outbox/pump.js";
import { createWebhookToken, type IssuedWebhookToken } from "../../../app/core/webhook-tokens.js";
import { channels, portals } from "../../../app/db/schema.js";
import type { AppDeps, AppEnv } from "../../../app/deps.js";
import { createApp } from "../../../app/index.js";
import { buildRegistry } from "../../../app/jobs.js";
import type { Messenger } from "../../../app/providers/types.js";
import { type Backend, openTestDb, type TestDb } from "../../support/db.js";
import { testConfig, testDeps } from "../../support/deps.js";
import type { FakeServer } from "../../support/fake-server.js";
import { Recorder, serveFake } from "../../providers/provider-fake.js";
import { createWahelpFake, WAHELP_CHANNEL, WAHELP_LOGIN, WAHELP_PASSWORD, WAHELP_PROJECT } from "../../providers/wahelp/fake.js";
import { createWappiFake, WAPPI_PROFILE, WAPPI_TOKEN } from "../../providers/wappi/fake.js";

/** Log lines the app wrote, so tests can check what reaches the logs (and what must not). */
export interface LogLine {
  level: string;
  msg: string;
  fields?: Record<string, unknown>;
}

export interface TestChannel {
  channel: Channel;
  token: IssuedWebhookToken;
  /** `/rest/webhook/<kind>/<token>` */
  base: string;
}

/**
 * The webhook API on a real test database, with Wappi fakes (WhatsApp and Telegram profiles)
 * and a Wahelp fake on loopback, a manual clock for the rate limits and the 24 h window, and
 * the outbox run on demand, or on every wake when `autoProcess` is on (for `wait`).
 */
export class WebhookHarness {
  readonly clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  readonly logs: LogLine[] = [];
  readonly wappi = { whatsapp: new Recorder(), telegram: new Recorder() };
  readonly wahelp = new Recorder();
  autoProcess = false;
  t!: TestDb;
  deps!: AppDeps;
  app!: Hono<AppEnv>;
  private servers: FakeServer[] = [];
  private urls = { whatsapp: "", telegram: "", wahelp: "" };
  private background: Promise<unknown>[] = [];

  constructor(readonly backend: Backend) {}

  async start(configOverrides: Record<string, string> = {}): Promise<this> {
    this.t = await openTestDb(this.backend);
    const wa = await serveFake((f) => createWappiFake(f, "whatsapp"), this.wappi.whatsapp);
    const tg = await serveFake((f) => createWappiFake(f, "telegram"), this.wappi.telegram);
    const wh = await serveFake((f) => createWahelpFake(f), this.wahelp);
    this.servers.push(wa, tg, wh);
    this.urls = { whatsapp: wa.url, telegram: tg.url, wahelp: wh.url };
    const capture = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
      this.logs.push({ level, msg, ...(fields ? { fields } : {}) });
    };
    const logger: Logger = { debug: capture("debug"), info: capture("info"), warn: capture("warn"), error: capture("error") };
    const base = await testDeps(this.t.db, { clock: this.clock, config: testConfig(configOverrides) });
    this.deps = {
      ...base,
      logger,
      queue: {
        wake: () => {
          if (this.autoProcess) this.background.push(this.runOutbox());
        },
      },
    };
    this.app = createApp(this.deps);
    return this;
  }

  /** Runs every due job once (the send jobs call the provider fakes). */
  runOutbox(): Promise<number> {
    const deps = this.deps;
    return processDue({ db: deps.db, registry: buildRegistry(deps), clock: this.clock, logger: deps.logger, batch: 20, concurrency: 4, leaseMs: 60_000 });
  }

  /** Waits for outbox runs started by wakes. */
  async settle(): Promise<void> {
    while (this.background.length > 0) await Promise.all(this.background.splice(0));
  }

  /** A new channel with its own webhook token (so each test has its own rate-limit buckets), paced without delays. */
  async channel(
    opts: { messenger?: Messenger; provider?: "wappi" | "wahelp"; state?: string; portalSettings?: Record<string, unknown>; portalId?: string } = {},
  ): Promise<TestChannel> {
    const messenger = opts.messenger ?? "whatsapp";
    const credentials =
      opts.provider === "wahelp"
        ? { login: WAHELP_LOGIN, password: WAHELP_PASSWORD, projectId: WAHELP_PROJECT, channelUuid: WAHELP_CHANNEL, messenger, apiUrl: this.urls.wahelp }
        : { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, messenger, apiUrl: this.urls[messenger] };
    // a portal only when the test needs one of its settings (its phone region)
    let portalId: string | null = opts.portalId ?? null;
    if (opts.portalSettings && !portalId) {
      const [portal] = await this.t.db
        .insert(portals)
        .values({ crm: "bitrix24", externalId: crypto.randomUUID(), domain: "test.bitrix24.by", settings: opts.portalSettings })
        .returning({ id: portals.id });
      portalId = portal!.id;
    }
    const { channel } = await createChannel(this.t.db, this.deps.keyring, {
      portalId,
      provider: opts.provider ?? "wappi",
      name: `test ${messenger}`,
      messenger,
      credentials,
    });
    const [paced] = await this.t.db
      .update(channels)
      .set({ paceMinMs: 0, paceJitterMs: 0, state: opts.state ?? "connected" })
      .where(eq(channels.id, channel.id))
      .returning();
    const token = await createWebhookToken(this.deps, paced!);
    return { channel: paced!, token, base: `/rest/webhook/${token.kind}/${token.token}` };
  }

  async get(path: string, params: Record<string, string> = {}): Promise<Response> {
    const query = new URLSearchParams(params).toString();
    return this.app.request(query ? `${path}?${query}` : path);
  }

  async postForm(path: string, params: Record<string, string>): Promise<Response> {
    return this.app.request(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(params).toString(),
    });
  }

  async postJson(path: string, body: unknown): Promise<Response> {
    return this.app.request(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  }

  /** Requests the fake provider received for message sends (text or file). */
  sends(messenger: Messenger = "whatsapp"): Array<{ path: string; body: Record<string, unknown> }> {
    return this.wappi[messenger].requests
      .filter((r) => r.method === "POST" && r.path.includes("/sync/message/"))
      .map((r) => ({ path: r.path, body: JSON.parse(r.body) as Record<string, unknown> }));
  }

  async close(): Promise<void> {
    await this.settle();
    await Promise.all(this.servers.map((s) => s.close()));
    await this.t?.close();
  }
}

/** JSON body of an answer, typed loosely for assertions. */
export async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}
