import { Hono } from "hono";
import { type FakeServer, startFake } from "../../support/fake-server.js";
import { FakeAmoOAuth, type FakeAmoOAuthOptions } from "./fake-amocrm-oauth.js";
import { type ContinueCall, mountRestApi } from "./fake-amocrm-rest.js";
import { type FakeContact, type FakeLead, type FakeNote, type FakeUser, problem } from "./fake-amocrm-wire.js";

export { FAKE_AMO_CLIENT_ID, FAKE_AMO_CLIENT_SECRET } from "./fake-amocrm-oauth.js";
export type { ContinueCall } from "./fake-amocrm-rest.js";
export { type FakeContact, type FakeLead, type FakeNote, type FakeUser, REVOKED_BODY } from "./fake-amocrm-wire.js";

/** One request the fake received. */
export interface AmoCall {
  method: string;
  /** path without the query */
  path: string;
  query: URLSearchParams;
  /** parsed JSON body, when there was one */
  json: unknown;
  headers: Record<string, string>;
}

export interface FakeAmoOptions extends FakeAmoOAuthOptions {
  accountId?: number;
  subdomain?: string;
  amojoId?: string;
  /** what GET /api/v4/account says as `country` (default "RU"); null leaves the field out */
  country?: string | null;
}

let accountSerial = 0;

/**
 * An amoCRM account on loopback: OAuth (fake-amocrm-oauth.ts) and the REST v4 pieces the
 * connector uses (fake-amocrm-rest.ts). Bearer-checked; records every request; tests can queue
 * answers (429s) ahead of the normal ones.
 */
export class FakeAmoCrm extends FakeAmoOAuth {
  server!: FakeServer;
  /** `127.0.0.1:<port>`: what the OAuth redirect's `referer` carries */
  host = "";
  readonly accountId: number;
  readonly subdomain: string;
  readonly amojoId: string;
  readonly country: string | null;
  readonly calls: AmoCall[] = [];
  readonly contacts = new Map<number, FakeContact>();
  readonly leads = new Map<number, FakeLead>();
  readonly notes: FakeNote[] = [];
  readonly users = new Map<number, FakeUser>();
  readonly continues: ContinueCall[] = [];
  /** `botId/continueId` pairs already continued (4.2: a second continue gets 404) */
  readonly continued = new Set<string>();
  /** answers given to the next /api/v4 calls instead of the normal one, in order */
  readonly injected: Array<{ status: number; body?: unknown; headers?: Record<string, string> }> = [];
  private serial = 1000;

  constructor(opts: FakeAmoOptions = {}) {
    super(opts);
    accountSerial += 1;
    this.accountId = opts.accountId ?? 30_440_000 + accountSerial * 7 + Math.floor(Math.random() * 5);
    this.subdomain = opts.subdomain ?? `acc${this.accountId}`;
    this.amojoId = opts.amojoId ?? crypto.randomUUID();
    this.country = opts.country === undefined ? "RU" : opts.country;
    this.users.set(1, { id: 1, name: "Admin", isAdmin: true });
  }

  get url(): string {
    return this.server.url;
  }

  async start(): Promise<this> {
    this.server = await startFake(this.routes());
    this.host = new URL(this.server.url).host;
    return this;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** The next `times` REST calls answer 429 (with Retry-After seconds when given). */
  answer429(times: number, retryAfterS?: number): void {
    for (let i = 0; i < times; i++) {
      this.injected.push({
        status: 429,
        body: problem(429, "Too Many Requests", "Too many requests"),
        ...(retryAfterS !== undefined ? { headers: { "retry-after": String(retryAfterS) } } : {}),
      });
    }
  }

  /** Replaces the contacts (and their leads) the account holds. */
  setContacts(contacts: Array<{ id?: number; name?: string; phones: string[]; leads?: Array<{ id?: number; status_id?: number; name?: string }> }>): FakeContact[] {
    this.contacts.clear();
    this.leads.clear();
    return contacts.map((c) => {
      const leadIds = (c.leads ?? []).map((l) => {
        const id = l.id ?? this.nextId();
        this.leads.set(id, { id, name: l.name ?? `Lead ${id}`, pipeline_id: 7001, status_id: l.status_id ?? 41001 });
        return id;
      });
      const contact = { id: c.id ?? this.nextId(), name: c.name ?? "Ivan Petrov", phones: c.phones, leadIds };
      this.contacts.set(contact.id, contact);
      return contact;
    });
  }

  setUser(user: FakeUser): void {
    this.users.set(user.id, user);
  }

  /** REST calls (not OAuth) received on a path prefix. */
  restCalls(prefix = "/api/v4/"): AmoCall[] {
    return this.calls.filter((c) => c.path.startsWith(prefix));
  }

  /** A new id for a contact, lead or note. */
  nextId(): number {
    this.serial += 1;
    return this.serial;
  }

  private routes(): Hono {
    const app = new Hono();
    app.use("*", async (c, next) => {
      const url = new URL(c.req.url);
      const raw = await c.req.raw.clone().text();
      let json: unknown;
      try {
        json = raw === "" ? undefined : JSON.parse(raw);
      } catch {
        json = undefined;
      }
      this.calls.push({ method: c.req.method, path: url.pathname, query: url.searchParams, json, headers: Object.fromEntries(c.req.raw.headers) });
      await next();
    });

    app.post("/oauth2/access_token", async (c) => this.token(c));

    app.use("/api/v4/*", async (c, next) => {
      if (!this.bearerIsLive(c.req.header("authorization") ?? "")) {
        return c.json(problem(401, "Unauthorized", "Unauthorized"), 401, { "content-type": "application/problem+json" });
      }
      const injected = this.injected.shift();
      if (injected) return c.json(injected.body ?? {}, injected.status as 429, { "content-type": "application/problem+json", ...injected.headers });
      await next();
    });

    mountRestApi(app, this);

    app.all("*", (c) => c.json(problem(404, "Not Found", `no such fake route: ${c.req.method} ${new URL(c.req.url).pathname}`), 404));
    return app;
  }
}

/** A fake account listening on loopback. */
export function startFakeAmoCrm(opts: FakeAmoOptions = {}): Promise<FakeAmoCrm> {
  return new FakeAmoCrm(opts).start();
}
