import { eq } from "drizzle-orm";
import { SignJWT } from "jose";
import { type Channel, createChannel } from "../../../app/core/channels.js";
import { type AmoPortalRow, amocrmTokenContext, findAmoAccount } from "../../../app/crm/amocrm/portal.js";
import { encryptAmoTokens } from "../../../app/crm/amocrm/tokens.js";
import { lineBindings, messages, portals } from "../../../app/db/schema.js";
import { Recorder, serveFake } from "../../providers/provider-fake.js";
import { createWappiFake, WAPPI_PROFILE, WAPPI_TOKEN } from "../../providers/wappi/fake.js";
import type { FakeServer } from "../../support/fake-server.js";
import type { FakeAmoCrm } from "./fake-amocrm.js";
import { AmoHarness } from "./harness.js";

/** Our deployment as the tokens name it: PUBLIC_URL, hence the redirect URI's origin (4.3 `aud`). */
export const PUBLIC_URL = "https://bridge.example";

export interface SeededAccount {
  accountId: string;
  portal: AmoPortalRow;
  dpSecret: string;
}

let accountSerial = 0;

/**
 * The amoCRM automation and widget-session scenarios end to end: AmoHarness (app, test
 * database, jobs, shifted clock) with one fake amoCRM host holding every seeded account (REST
 * v4, continue endpoint), a Wappi fake as the messenger, and disposable JWTs signed against the
 * harness clock.
 */
export class AmoAutomationHarness extends AmoHarness {
  amo!: FakeAmoCrm;
  readonly wappi = new Recorder();
  wappiServer!: FakeServer;

  override async start(): Promise<this> {
    await super.start({ PUBLIC_URL });
    this.amo = await this.account();
    this.wappiServer = await serveFake((fake) => createWappiFake(fake, "whatsapp"), this.wappi);
    return this;
  }

  override async close(): Promise<void> {
    await this.wappiServer?.close();
    await super.close();
  }

  /** Salesbot without a phone takes four hops (lookup, send, status, continue): six rounds leave room. */
  override runJobs(rounds = 6): Promise<void> {
    return super.runJobs(rounds);
  }

  /** The account's iss: the fake's own URL (`http://127.0.0.1:<port>`, host = the stored domain). */
  get iss(): string {
    return this.amo.url;
  }

  /**
   * An installed account on the fake's host, as the OAuth install leaves it: tokens encrypted
   * with the account's contexts, a DP secret. Each call makes a new account id, so scenarios on
   * one database do not share channels.
   */
  async seedAccount(opts: { status?: "active" | "uninstalled" } = {}): Promise<SeededAccount> {
    accountSerial += 1;
    const accountId = String(31_000_000 + accountSerial * 13 + Math.floor(Math.random() * 7));
    const pair = this.amo.issuePair();
    const dpSecret = `dp-secret-${crypto.randomUUID()}`;
    const tokens = await encryptAmoTokens(this.deps.keyring, accountId, {
      accessToken: pair.accessToken,
      refreshToken: pair.refreshToken,
      expiresAt: new Date(this.clock.now().getTime() + pair.expiresIn * 1000),
    });
    await this.t.db.insert(portals).values({
      crm: "amocrm",
      externalId: accountId,
      domain: this.amo.host,
      status: opts.status ?? "active",
      ...tokens,
      settings: {
        baseUrl: this.amo.url,
        subdomain: this.amo.subdomain,
        platform: "1",
        dpSecretEnc: await this.deps.keyring.encrypt(dpSecret, amocrmTokenContext(accountId, "dp_secret")),
      },
    });
    return { accountId, portal: (await findAmoAccount(this.t.db, accountId))!, dpSecret };
  }

  /** A Wappi channel of the account, connected to amoCRM chats (an active amojo binding) unless told otherwise. */
  async channel(account: SeededAccount, opts: { name?: string; bound?: boolean } = {}): Promise<Channel> {
    const { channel } = await createChannel(this.deps.db, this.deps.keyring, {
      portalId: account.portal.id,
      provider: "wappi",
      name: opts.name ?? "Sales WhatsApp",
      credentials: { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, apiUrl: this.wappiServer.url },
    });
    if (opts.bound !== false) {
      await this.t.db.insert(lineBindings).values({ channelId: channel.id, crm: "amocrm", lineId: `scope_${channel.id}` });
    }
    return channel;
  }

  /** A Salesbot bot token (4.2) as amoCRM signs it: HS512 with our client secret, unless a test says otherwise. */
  botToken(accountId: string, claims: Record<string, unknown> = {}, opts: { alg?: string; secret?: string; lifetimeS?: number } = {}): Promise<string> {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    return new SignJWT({
      account_id: Number(accountId),
      subdomain: this.amo.subdomain,
      client_uuid: this.amo.clientId,
      bot_type: "salesbot",
      ...claims,
    })
      .setProtectedHeader({ alg: opts.alg ?? "HS512", typ: "JWT" })
      .setIssuer(typeof claims.iss === "string" ? claims.iss : this.iss)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + (opts.lifetimeS ?? 600))
      .setJti(crypto.randomUUID())
      .sign(new TextEncoder().encode(opts.secret ?? this.amo.clientSecret));
  }

  /** The widget's disposable token (4.3): HS256, aud = scheme+host of our redirect URI, ~30 min. */
  widgetToken(accountId: string, userId: number, claims: Record<string, unknown> = {}, opts: { secret?: string; issuedAgoS?: number } = {}): Promise<string> {
    const now = Math.floor(this.clock.now().getTime() / 1000) - (opts.issuedAgoS ?? 0);
    return new SignJWT({ account_id: Number(accountId), user_id: userId, subdomain: this.amo.subdomain, client_uuid: this.amo.clientId, ...claims })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(this.iss)
      .setAudience(typeof claims.aud === "string" ? claims.aud : PUBLIC_URL)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 1800)
      .setJti(crypto.randomUUID())
      .sign(new TextEncoder().encode(opts.secret ?? this.amo.clientSecret));
  }

  /** A continue address of the fake account (4.2 `return_url`). */
  returnUrl(botId = 321): string {
    return `${this.amo.url}/api/v4/salesbot/${botId}/continue/${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}`;
  }

  async post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return await this.app.request(path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  }

  messagesOf(channelId: string) {
    return this.t.db.select().from(messages).where(eq(messages.channelId, channelId));
  }

  /** Wappi send requests received so far, their JSON bodies. */
  wappiSends(): Array<Record<string, unknown>> {
    return this.wappi.requests.filter((r) => r.path.includes("/message/")).map((r) => JSON.parse(r.body) as Record<string, unknown>);
  }

  /** Continue calls for one return_url (4.2). */
  continuesOf(returnUrl: string) {
    const path = new URL(returnUrl).pathname;
    return this.amo.continues.filter((c) => `/api/v4/${c.bot}/${c.botId}/continue/${c.continueId}` === path);
  }
}
