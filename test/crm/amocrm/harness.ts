import { eq } from "drizzle-orm";
import type { Hono } from "hono";
import type { Clock } from "../../../app/core/clock.js";
import { processDue } from "../../../app/core/outbox/pump.js";
import { AmoCrmClient, type AmoCrmClientOptions } from "../../../app/crm/amocrm/client.js";
import { type AmoPortalRow, findAmoAccount } from "../../../app/crm/amocrm/portal.js";
import { outboxJobs, portals } from "../../../app/db/schema.js";
import type { AppDeps, AppEnv } from "../../../app/deps.js";
import { createApp } from "../../../app/index.js";
import { buildRegistry } from "../../../app/jobs.js";
import { type Backend, openTestDb, type TestDb } from "../../support/db.js";
import { testConfig, testDeps } from "../../support/deps.js";
import { FAKE_AMO_CLIENT_ID, FAKE_AMO_CLIENT_SECRET, type FakeAmoCrm, type FakeAmoOptions, startFakeAmoCrm } from "./fake-amocrm.js";

/**
 * Real time plus an offset the test moves: fake accounts judge token expiry by real time and
 * rate buckets need time that passes, while tests still jump ahead (state expiry, retry delays).
 */
export class ShiftedClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/** The /amocrm routes, REST client and jobs on a test database, against fake accounts on loopback. */
export class AmoHarness {
  readonly clock = new ShiftedClock();
  readonly fakes: FakeAmoCrm[] = [];
  t!: TestDb;
  deps!: AppDeps;
  app!: Hono<AppEnv>;

  constructor(readonly backend: Backend) {}

  async start(configOverrides: Record<string, string> = {}): Promise<this> {
    this.t = await openTestDb(this.backend);
    const config = testConfig({
      PUBLIC_URL: "https://bridge.example",
      AMOCRM_CLIENT_ID: FAKE_AMO_CLIENT_ID,
      AMOCRM_CLIENT_SECRET: FAKE_AMO_CLIENT_SECRET,
      ...configOverrides,
    });
    this.deps = await testDeps(this.t.db, { clock: this.clock, config });
    this.app = createApp(this.deps);
    return this;
  }

  /** Another app on the same database with some config changed (a second deployment's settings). */
  async appWith(configOverrides: Record<string, string>): Promise<{ app: Hono<AppEnv>; deps: AppDeps }> {
    const config = testConfig({
      PUBLIC_URL: "https://bridge.example",
      AMOCRM_CLIENT_ID: FAKE_AMO_CLIENT_ID,
      AMOCRM_CLIENT_SECRET: FAKE_AMO_CLIENT_SECRET,
      ...configOverrides,
    });
    const deps = await testDeps(this.t.db, { clock: this.clock, config });
    return { app: createApp(deps), deps };
  }

  async close(): Promise<void> {
    await Promise.all(this.fakes.map((f) => f.close()));
    await this.t?.close();
  }

  /** A new fake account (its own id, host and tokens), closed with the harness. */
  async account(opts: FakeAmoOptions = {}): Promise<FakeAmoCrm> {
    const fake = await startFakeAmoCrm({ redirectUri: "https://bridge.example/amocrm/oauth", ...opts });
    this.fakes.push(fake);
    return fake;
  }

  /** GET /amocrm/oauth with these query parameters. */
  redirect(query: Record<string, string>, headers: Record<string, string> = { accept: "application/json" }): Promise<Response> {
    return Promise.resolve(this.app.request(`/amocrm/oauth?${new URLSearchParams(query)}`, { headers }));
  }

  /** A state as /amocrm/install issues it. */
  async issuedState(): Promise<string> {
    const res = await this.app.request("/amocrm/install");
    const location = res.headers.get("location");
    if (res.status !== 302 || !location) throw new Error(`install link failed: ${res.status}`);
    return new URL(location).searchParams.get("state")!;
  }

  /** Installs `fake` through amoCRM's own install webhook (1.3 `from_widget`); throws unless it worked. */
  async install(fake: FakeAmoCrm): Promise<AmoPortalRow> {
    const res = await this.redirect({ code: fake.issueCode(), referer: fake.host, platform: "1", from_widget: "1" });
    if (res.status !== 200) throw new Error(`install failed: ${res.status} ${await res.text()}`);
    const row = await this.row(fake);
    if (!row) throw new Error("install stored no account");
    return row;
  }

  /** A fresh fake account, installed. */
  async installed(opts: FakeAmoOptions = {}): Promise<{ fake: FakeAmoCrm; row: AmoPortalRow }> {
    const fake = await this.account(opts);
    return { fake, row: await this.install(fake) };
  }

  row(fake: FakeAmoCrm): Promise<AmoPortalRow | undefined> {
    return findAmoAccount(this.t.db, String(fake.accountId));
  }

  client(row: Pick<AmoPortalRow, "id">, opts: AmoCrmClientOptions = {}): AmoCrmClient {
    return new AmoCrmClient(this.deps, row.id, opts);
  }

  /** The stored access token has run out on both sides: the fake refuses it and the row says it expired. */
  async expireTokens(fake: FakeAmoCrm, row: Pick<AmoPortalRow, "id">): Promise<void> {
    fake.expireAccessTokens();
    await this.t.db.update(portals).set({ tokenExpiresAt: new Date(this.clock.now().getTime() - 1000) }).where(eq(portals.id, row.id));
  }

  /** Runs due jobs, moving the clock past retry delays, `rounds` times. */
  async runJobs(rounds = 4): Promise<void> {
    const registry = buildRegistry(this.deps);
    for (let i = 0; i < rounds; i++) {
      await processDue({ db: this.deps.db, registry, clock: this.clock, logger: this.deps.logger, batch: 10, concurrency: 2, leaseMs: 30_000, random: () => 0 });
      this.clock.advance(60_000);
    }
  }

  jobsOf(kind: string) {
    return this.t.db.select().from(outboxJobs).where(eq(outboxJobs.kind, kind));
  }
}
