import { type Context, Hono } from "hono";
import { type FakeServer, startFake } from "../../support/fake-server.js";
import { contactJson, type FakeContact, type FakeLead, type FakeNote, type FakeUser, noteValidationErrors, oauthProblem, problem, REVOKED_BODY } from "./fake-amocrm-wire.js";

export { type FakeContact, type FakeLead, type FakeNote, type FakeUser, REVOKED_BODY } from "./fake-amocrm-wire.js";

export const FAKE_AMO_CLIENT_ID = "9b4f1e2c-5d3a-4e7b-8c1d-2f6a0b9e7d31";
export const FAKE_AMO_CLIENT_SECRET = "fakeAmoSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ012345";

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

export interface ContinueCall {
  bot: "salesbot" | "marketingbot";
  botId: string;
  continueId: string;
  body: unknown;
  authorization: string | undefined;
}

export interface FakeAmoOptions {
  accountId?: number;
  subdomain?: string;
  amojoId?: string;
  clientId?: string;
  clientSecret?: string;
  /** when set, token requests with another redirect_uri are refused (1.4 "must match exactly") */
  redirectUri?: string;
  /** expires_in of issued access tokens (1.1: 86400) */
  expiresIn?: number;
}

let accountSerial = 0;
const rand = () => Math.random().toString(36).slice(2, 12);
/**
 * An amoCRM account on loopback: OAuth (`/oauth2/access_token`, single-use codes, rotating
 * single-use refresh tokens: reference/amocrm.md 1.1/1.4) and the REST v4 pieces the connector
 * uses (5.1, 5.2, 5.5, 4.2 continue, users). Bearer-checked; answers in the sheet's shapes
 * (HAL, problem+json, 204 for empty searches).
 */
export class FakeAmoCrm {
  server!: FakeServer;
  /** `127.0.0.1:<port>`: what the OAuth redirect's `referer` carries */
  host = "";
  readonly accountId: number;
  readonly subdomain: string;
  readonly amojoId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly calls: AmoCall[] = [];
  /** bodies of every `/oauth2/access_token` request */
  readonly tokenRequests: Array<Record<string, unknown>> = [];
  readonly contacts = new Map<number, FakeContact>();
  readonly leads = new Map<number, FakeLead>();
  readonly notes: FakeNote[] = [];
  readonly users = new Map<number, FakeUser>();
  readonly continues: ContinueCall[] = [];
  /** access token -> expiry (ms, fake's own time) */
  readonly accessTokens = new Map<string, number>();
  readonly liveRefreshTokens = new Set<string>();
  readonly spentRefreshTokens = new Set<string>();
  /** answers given to the next /api/v4 calls instead of the normal one, in order */
  readonly injected: Array<{ status: number; body?: unknown; headers?: Record<string, string> }> = [];
  /** slows refreshes so that concurrent callers overlap */
  refreshDelayMs = 0;
  private readonly codes = new Map<string, { used: boolean }>();
  private readonly continued = new Set<string>();
  private serial = 1000;
  private readonly opts: FakeAmoOptions;

  constructor(opts: FakeAmoOptions = {}) {
    this.opts = opts;
    accountSerial += 1;
    this.accountId = opts.accountId ?? 30_440_000 + accountSerial * 7 + Math.floor(Math.random() * 5);
    this.subdomain = opts.subdomain ?? `acc${this.accountId}`;
    this.amojoId = opts.amojoId ?? crypto.randomUUID();
    this.clientId = opts.clientId ?? FAKE_AMO_CLIENT_ID;
    this.clientSecret = opts.clientSecret ?? FAKE_AMO_CLIENT_SECRET;
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

  /** An authorization code (1.3), single use. */
  issueCode(): string {
    const code = `def50200${rand()}${rand()}`;
    this.codes.set(code, { used: false });
    return code;
  }

  /** A token pair as the code exchange would give it, for tests that seed a row directly. */
  issuePair(): { accessToken: string; refreshToken: string; expiresIn: number } {
    const expiresIn = this.opts.expiresIn ?? 86_400;
    const accessToken = `eyJ0eXAiOiJKV1Qi.${rand()}${rand()}`;
    const refreshToken = `def50200${rand()}${rand()}`;
    this.accessTokens.set(accessToken, Date.now() + expiresIn * 1000);
    this.liveRefreshTokens.add(refreshToken);
    return { accessToken, refreshToken, expiresIn };
  }

  /** Every access token issued so far stops working (as after 24 h). */
  expireAccessTokens(): void {
    for (const token of this.accessTokens.keys()) this.accessTokens.set(token, 0);
  }

  /** The integration is switched off on the account side: every token dies (1.4 "revoked → 401"). */
  revokeAll(): void {
    this.accessTokens.clear();
    for (const t of this.liveRefreshTokens) this.spentRefreshTokens.add(t);
    this.liveRefreshTokens.clear();
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
        const id = l.id ?? this.next();
        this.leads.set(id, { id, name: l.name ?? `Lead ${id}`, pipeline_id: 7001, status_id: l.status_id ?? 41001 });
        return id;
      });
      const contact = { id: c.id ?? this.next(), name: c.name ?? "Ivan Petrov", phones: c.phones, leadIds };
      this.contacts.set(contact.id, contact);
      return contact;
    });
  }

  setUser(user: FakeUser): void {
    this.users.set(user.id, user);
  }

  /** `/oauth2/access_token` requests with the refresh grant. */
  refreshRequests(): Array<Record<string, unknown>> {
    return this.tokenRequests.filter((r) => r.grant_type === "refresh_token");
  }

  /** REST calls (not OAuth) received on a path prefix. */
  restCalls(prefix = "/api/v4/"): AmoCall[] {
    return this.calls.filter((c) => c.path.startsWith(prefix));
  }

  private next(): number {
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
      const auth = c.req.header("authorization") ?? "";
      const token = /^Bearer (.+)$/.exec(auth)?.[1];
      const expiry = token ? this.accessTokens.get(token) : undefined;
      if (expiry === undefined || expiry <= Date.now()) {
        return c.json(problem(401, "Unauthorized", "Unauthorized"), 401, { "content-type": "application/problem+json" });
      }
      const injected = this.injected.shift();
      if (injected) return c.json(injected.body ?? {}, injected.status as 429, { "content-type": "application/problem+json", ...injected.headers });
      await next();
    });

    app.get("/api/v4/account", (c) => {
      const withs = (c.req.query("with") ?? "").split(",");
      return c.json({
        id: this.accountId,
        name: `Account ${this.subdomain}`,
        subdomain: this.subdomain,
        created_at: 1585840134,
        current_user_id: 1,
        country: "RU",
        currency: "RUB",
        is_technical_account: false,
        ...(withs.includes("amojo_id") ? { amojo_id: this.amojoId } : {}),
        _links: { self: { href: `${this.url}/api/v4/account` } },
      });
    });

    app.get("/api/v4/users/:id", (c) => {
      const user = this.users.get(Number(c.req.param("id")));
      if (!user) return c.json(problem(404, "Not Found", "User not found"), 404);
      return c.json({
        id: user.id,
        name: user.name,
        email: `user${user.id}@example.com`,
        lang: "ru",
        rights: { is_admin: user.isAdmin, is_free: false, is_active: true, group_id: null, role_id: null },
        _links: { self: { href: `${this.url}/api/v4/users/${user.id}` } },
      });
    });

    app.get("/api/v4/contacts", (c) => {
      const query = (c.req.query("query") ?? "").trim();
      const withLeads = (c.req.query("with") ?? "").split(",").includes("leads");
      const digits = query.replace(/\D/g, "");
      // 5.2: full-text search over filled fields; phones match as substrings of their digits
      const found = [...this.contacts.values()].filter(
        (k) => query !== "" && (k.name.includes(query) || (digits !== "" && k.phones.some((p) => p.replace(/\D/g, "").includes(digits)))),
      );
      if (found.length === 0) return c.body(null, 204);
      return c.json({
        _page: 1,
        _links: { self: { href: `${this.url}/api/v4/contacts?${new URL(c.req.url).searchParams}` } },
        _embedded: { contacts: found.map((k) => contactJson(this.url, this.accountId, k, withLeads)) },
      });
    });

    app.get("/api/v4/leads", (c) => {
      const ids = new URL(c.req.url).searchParams
        .getAll("filter[id][]")
        .concat([...new URL(c.req.url).searchParams.entries()].filter(([k]) => /^filter\[id\]\[\d+\]$/.test(k)).map(([, v]) => v))
        .map(Number);
      const found = [...this.leads.values()].filter((l) => ids.length === 0 || ids.includes(l.id));
      if (found.length === 0) return c.body(null, 204);
      return c.json({
        _page: 1,
        _links: { self: { href: `${this.url}/api/v4/leads` } },
        _embedded: {
          leads: found.map((l) => ({
            ...l,
            price: 0,
            responsible_user_id: 1,
            closed_at: l.status_id === 142 || l.status_id === 143 ? 1700000000 : null,
            is_deleted: false,
            account_id: this.accountId,
            _links: { self: { href: `${this.url}/api/v4/leads/${l.id}` } },
          })),
        },
      });
    });

    app.post("/api/v4/:entity{contacts|leads}/notes", async (c) => this.addNotes(c, c.req.param("entity") === "leads" ? "leads" : "contacts"));

    // one entity by id (Salesbot / DP recipient lookup); with=contacts lists the lead's contacts, the first is_main
    app.get("/api/v4/leads/:id{[0-9]+}", (c) => {
      const lead = this.leads.get(Number(c.req.param("id")));
      if (!lead) return c.body(null, 204);
      const linked = [...this.contacts.values()].filter((k) => k.leadIds.includes(lead.id));
      const withContacts = (c.req.query("with") ?? "").split(",").includes("contacts");
      return c.json({
        ...lead,
        account_id: this.accountId,
        _links: { self: { href: `${this.url}/api/v4/leads/${lead.id}` } },
        _embedded: {
          tags: [],
          companies: [],
          ...(withContacts ? { contacts: linked.map((k, i) => ({ id: k.id, is_main: i === 0, _links: { self: { href: `${this.url}/api/v4/contacts/${k.id}` } } })) } : {}),
        },
      });
    });
    app.get("/api/v4/contacts/:id{[0-9]+}", (c) => {
      const contact = this.contacts.get(Number(c.req.param("id")));
      return contact ? c.json(contactJson(this.url, this.accountId, contact, false)) : c.body(null, 204);
    });

    app.post("/api/v4/:bot{salesbot|marketingbot}/:botId/continue/:continueId", async (c) => {
      const body: unknown = await c.req.json().catch(() => undefined);
      const key = `${c.req.param("botId")}/${c.req.param("continueId")}`;
      const bot = c.req.param("bot") === "marketingbot" ? "marketingbot" : "salesbot";
      this.continues.push({ bot, botId: c.req.param("botId"), continueId: c.req.param("continueId"), body, authorization: c.req.header("authorization") });
      // 4.2: 404 when no widget step waits (already continued or expired)
      if (this.continued.has(key)) return c.json(problem(404, "Not Found", "Bot is not waiting for this step"), 404);
      this.continued.add(key);
      return c.body(null, 202);
    });

    app.all("*", (c) => c.json(problem(404, "Not Found", `no such fake route: ${c.req.method} ${new URL(c.req.url).pathname}`), 404));
    return app;
  }

  private async addNotes(c: Context, entityType: "contacts" | "leads") {
    const body: unknown = await c.req.json().catch(() => undefined);
    if (!Array.isArray(body) || body.length === 0) return c.json(problem(400, "Bad Request", "Request validation failed"), 400);
    const known = entityType === "leads" ? this.leads : this.contacts;
    const errors = noteValidationErrors(body, known);
    if (errors.length) {
      return c.json(problem(400, "Bad Request", "Request validation failed", { "validation-errors": errors }), 400, { "content-type": "application/problem+json" });
    }
    const added = body.map((item: { entity_id: number; note_type: string; params: Record<string, unknown> }, i) => {
      const note: FakeNote = { id: this.next(), entityType, entity_id: item.entity_id, note_type: item.note_type, params: item.params };
      this.notes.push(note);
      return { id: note.id, entity_id: note.entity_id, request_id: String(i), _links: { self: { href: `${this.url}/api/v4/${entityType}/${note.entity_id}/notes/${note.id}` } } };
    });
    return c.json({ _links: { self: { href: `${this.url}/api/v4/${entityType}/notes` } }, _embedded: { notes: added } });
  }

  private async token(c: Context) {
    const body = (await c.req.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    if (!body || typeof body !== "object") return c.json(problem(400, "Bad Request", "JSON body expected"), 400);
    this.tokenRequests.push(body);
    const oauthError = (status: number, hint: string) => c.json(oauthProblem(status, hint), status as 400);
    if (body.client_id !== this.clientId || body.client_secret !== this.clientSecret) return oauthError(401, "Client authentication failed");
    if (this.opts.redirectUri !== undefined && body.redirect_uri !== this.opts.redirectUri) return oauthError(400, "Redirect URI mismatch");
    if (body.grant_type === "authorization_code") {
      const code = typeof body.code === "string" ? this.codes.get(body.code) : undefined;
      if (!code || code.used) return oauthError(400, "Authorization code has been revoked");
      code.used = true;
    } else if (body.grant_type === "refresh_token") {
      if (this.refreshDelayMs) await new Promise((r) => setTimeout(r, this.refreshDelayMs));
      const token = typeof body.refresh_token === "string" ? body.refresh_token : "";
      if (!this.liveRefreshTokens.has(token)) return c.json(REVOKED_BODY, 401);
      // 1.1: single use, each refresh returns a new pair and the old refresh token dies
      this.liveRefreshTokens.delete(token);
      this.spentRefreshTokens.add(token);
    } else {
      return oauthError(400, "Unsupported grant type");
    }
    const pair = this.issuePair();
    return c.json({
      token_type: "Bearer",
      expires_in: pair.expiresIn,
      server_time: Math.floor(Date.now() / 1000),
      access_token: pair.accessToken,
      refresh_token: pair.refreshToken,
    });
  }
}

/** A fake account listening on loopback. */
export function startFakeAmoCrm(opts: FakeAmoOptions = {}): Promise<FakeAmoCrm> {
  return new FakeAmoCrm(opts).start();
}
