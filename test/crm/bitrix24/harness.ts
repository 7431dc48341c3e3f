import type { Hono } from "hono";
import { ManualClock } from "../../../app/core/clock.js";
import { type BracketInput, encodeBracketForm } from "../../../app/crm/bitrix24/bracket-form.js";
import { Bitrix24Client } from "../../../app/crm/bitrix24/client.js";
import { findPortal, type PortalRow, tokenContext } from "../../../app/crm/bitrix24/portal-auth.js";
import type { AppDeps, AppEnv } from "../../../app/deps.js";
import { createApp } from "../../../app/index.js";
import { type Backend, openTestDb, type TestDb } from "../../support/db.js";
import { testConfig, testDeps } from "../../support/deps.js";
import { FAKE_CLIENT_ID, FAKE_CLIENT_SECRET, FakeBitrix24 } from "./fake-bitrix24.js";

export interface InstalledPortal {
  memberId: string;
  applicationToken: string;
  accessToken: string;
  refreshToken: string;
}

let memberSerial = 0;
/** A fresh member_id per test, so tests on one database do not see each other's portals. */
export function newMemberId(): string {
  memberSerial += 1;
  return `a223c6b3710f85df22e9377d6c4f${String(memberSerial).padStart(4, "0")}`;
}

/** The /b24 routes and the REST client on a test database, against a fake portal and OAuth server. */
export class Bitrix24Harness {
  readonly clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  readonly fake = new FakeBitrix24();
  t!: TestDb;
  deps!: AppDeps;
  app!: Hono<AppEnv>;

  constructor(readonly backend: Backend) {}

  async start(configOverrides: Record<string, string> = {}): Promise<this> {
    this.t = await openTestDb(this.backend);
    await this.fake.start();
    const config = testConfig({
      BITRIX24_CLIENT_ID: FAKE_CLIENT_ID,
      BITRIX24_CLIENT_SECRET: FAKE_CLIENT_SECRET,
      BITRIX24_OAUTH_URL: this.fake.url,
      ...configOverrides,
    });
    this.deps = await testDeps(this.t.db, { clock: this.clock, config });
    this.app = createApp(this.deps);
    return this;
  }

  async close(): Promise<void> {
    await this.fake.close();
    await this.t?.close();
  }

  async postForm(path: string, params: { [key: string]: BracketInput }): Promise<Response> {
    return this.app.request(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: encodeBracketForm(params),
    });
  }

  /** The UI variant: what Bitrix24 POSTs to the install page (reference/bitrix24.md 1.2). */
  installPage(memberId: string, body: { [key: string]: BracketInput } = {}, query: Record<string, string> = {}) {
    const pair = this.fake.issuePair(memberId);
    const applicationToken = `ec1b2074a9d3f5c81b6e40d2${memberId.slice(-8)}`;
    const qs = new URLSearchParams({ DOMAIN: this.fake.host, PROTOCOL: "0", LANG: "en", APP_SID: "9f0d2c6a1e", ...query });
    const res = this.postForm(`/b24/install?${qs}`, {
      AUTH_ID: pair.accessToken,
      AUTH_EXPIRES: "3600",
      REFRESH_ID: pair.refreshToken,
      SERVER_ENDPOINT: "https://oauth.bitrix.info/rest/",
      APPLICATION_TOKEN: applicationToken,
      APPLICATION_SCOPE: "crm,imopenlines,imconnector,bizproc,messageservice,placement",
      member_id: memberId,
      status: "L",
      PLACEMENT: "DEFAULT",
      PLACEMENT_OPTIONS: "{}",
      ...body,
    });
    return { res, portal: { memberId, applicationToken, ...pair } satisfies InstalledPortal };
  }

  /** ONAPPINSTALL's auth[...] block (1.3), for /b24/events or the API-only /b24/install. */
  installAuth(memberId: string, overrides: { [key: string]: BracketInput } = {}) {
    const pair = this.fake.issuePair(memberId);
    const applicationToken = `51856fefc120afa4b628cc82${memberId.slice(-8)}`;
    const auth = {
      domain: this.fake.host,
      member_id: memberId,
      access_token: pair.accessToken,
      refresh_token: pair.refreshToken,
      expires_in: "3600",
      scope: "crm,imopenlines,imconnector,bizproc,messageservice,placement",
      server_endpoint: "https://oauth.bitrix.info/rest/",
      client_endpoint: `${this.fake.url}/rest/`,
      status: "L",
      application_token: applicationToken,
      ...overrides,
    };
    return { auth, portal: { memberId, applicationToken, ...pair } satisfies InstalledPortal };
  }

  installEvent(memberId: string, path = "/b24/events", overrides: { [key: string]: BracketInput } = {}) {
    const { auth, portal } = this.installAuth(memberId, overrides);
    const res = this.postForm(path, {
      event: "ONAPPINSTALL",
      data: { VERSION: "1", ACTIVE: "Y", INSTALLED: "Y", LANGUAGE_ID: "en" },
      ts: "1696527000",
      auth,
    });
    return { res, portal };
  }

  /** An installed portal, via the install page; throws unless the install succeeded. */
  async installed(memberId = newMemberId()): Promise<InstalledPortal> {
    const { res, portal } = this.installPage(memberId);
    const answer = await res;
    if (answer.status !== 200) throw new Error(`install failed: ${answer.status} ${await answer.text()}`);
    // the install's pair was exchanged at the OAuth server to prove it: the stored pair is the new one
    return { ...portal, accessToken: await this.storedAccessToken(memberId), refreshToken: await this.storedRefreshToken(memberId) };
  }

  /** An event as Bitrix24 sends it (1.5, 3.7): form-encoded, auth without refresh_token. */
  event(name: string, memberId: string, applicationToken: string, data: BracketInput = {}): Promise<Response> {
    return this.postForm("/b24/events", {
      event: name,
      event_handler_id: "555",
      data,
      ts: "1466439714",
      auth: {
        domain: this.fake.host,
        member_id: memberId,
        server_endpoint: "https://oauth.bitrix.info/rest/",
        client_endpoint: `${this.fake.url}/rest/`,
        application_token: applicationToken,
      },
    });
  }

  portalRow(memberId: string): Promise<PortalRow | undefined> {
    return findPortal(this.t.db, memberId);
  }

  async storedAccessToken(memberId: string): Promise<string> {
    const row = await this.portalRow(memberId);
    return this.deps.keyring.decrypt(row!.accessTokenEnc!, tokenContext(memberId, "access"));
  }

  async storedRefreshToken(memberId: string): Promise<string> {
    const row = await this.portalRow(memberId);
    return this.deps.keyring.decrypt(row!.refreshTokenEnc!, tokenContext(memberId, "refresh"));
  }

  /** A client that backs off without waiting; `sleeps` records the waits it asked for. */
  client(memberId: string, deps: AppDeps = this.deps, sleeps: number[] = []): Bitrix24Client {
    return new Bitrix24Client(deps, memberId, {
      backoffMs: [100, 200, 400],
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
  }
}

export async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}
