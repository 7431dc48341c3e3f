import { Hono } from "hono";
import { type BracketObject, parseBracketForm } from "../../../app/crm/bitrix24/bracket-form.js";
import { type FakeServer, startFake } from "../../support/fake-server.js";
import { bizprocRefusal } from "./fake-bizproc.js";

export const FAKE_CLIENT_ID = "local.6650a1b2c3d4e5.12345678";
export const FAKE_CLIENT_SECRET = "fake-client-secret-0123456789abcdef";

export interface RestCall {
  /** Host header: which domain the client called */
  host: string;
  method: string;
  body: BracketObject;
  /** a command run inside a `batch` call (the batch call itself is recorded too) */
  inBatch?: boolean;
}

export interface CannedAnswer {
  status: number;
  body: unknown;
}

/** `time` block of a REST answer (reference/bitrix24.md 2.3). */
const timeBlock = () => {
  const now = Date.now() / 1000;
  return { start: now, finish: now, duration: 0.01, processing: 0.001, date_start: "", date_finish: "", operating_reset_at: Math.floor(now) + 600, operating: 0 };
};

/**
 * A Bitrix24 portal and its OAuth server on one loopback port: REST at `/rest/<method>.json`
 * (form-encoded bodies, `auth=<access_token>`), refresh at `GET /oauth/token/`. Refresh tokens
 * are single-use, as the sheet tells us to assume (2.1). Answers follow the sheet's shapes.
 */
export class FakeBitrix24 {
  server!: FakeServer;
  /** `127.0.0.1:<port>`: the portal's DOMAIN */
  host = "";
  readonly accessTokens = new Set<string>();
  readonly refreshTokens = new Set<string>();
  readonly restCalls: RestCall[] = [];
  readonly refreshCalls: URLSearchParams[] = [];
  /** answers given instead of the normal one to the next calls of a method, in order */
  readonly canned = new Map<string, CannedAnswer[]>();
  /** the next refresh answers this instead */
  refreshOverride: CannedAnswer | undefined;
  /** client_endpoint in refresh answers; a new value is how a domain change shows */
  clientEndpoint = "";
  /** slows refreshes down so that concurrent callers overlap */
  refreshDelayMs = 0;
  /** per-command errors a batch gives the next sub-calls of a method (2.4 `result_error`) */
  readonly batchFailures = new Map<string, Array<{ error: string; error_description: string }>>();
  /** `profile` answers for user tokens (a settings frame's AUTH_ID), by token; other tokens get the echo */
  readonly userProfiles = new Map<string, { ID: string; ADMIN: boolean }>();
  /**
   * CRM entities by a phone value exactly as stored (7: "stored as typed, no forced
   * normalization"), what `crm.duplicate.findbycomm` looks in.
   */
  readonly phoneOwners = new Map<string, { CONTACT?: number[]; COMPANY?: number[]; LEAD?: number[] }>();
  private readonly imChats = new Map<string, string>();
  private serial = 0;
  private readonly memberOf = new Map<string, string>();

  get url(): string {
    return this.server.url;
  }

  async start(): Promise<this> {
    this.server = await startFake(this.routes());
    this.host = new URL(this.server.url).host;
    this.clientEndpoint = `${this.server.url}/rest/`;
    return this;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** A token pair the portal accepts, as an install would hand out. */
  issuePair(memberId: string): { accessToken: string; refreshToken: string } {
    this.serial += 1;
    const pair = { accessToken: `at${this.serial}x${Math.random().toString(36).slice(2, 10)}`, refreshToken: `rt${this.serial}x${Math.random().toString(36).slice(2, 10)}` };
    this.accessTokens.add(pair.accessToken);
    this.refreshTokens.add(pair.refreshToken);
    this.memberOf.set(pair.refreshToken, memberId);
    return pair;
  }

  /** The AUTH_ID a settings frame would carry for a user of the portal (reference/bitrix24.md 1.2, 8). */
  issueUserToken(profile: { ID: string; ADMIN: boolean }): string {
    this.serial += 1;
    const token = `ut${this.serial}x${Math.random().toString(36).slice(2, 10)}`;
    this.accessTokens.add(token);
    this.userProfiles.set(token, profile);
    return token;
  }

  /** The access token's hour is over: the portal answers expired_token from now on. */
  expire(accessToken: string): void {
    this.accessTokens.delete(accessToken);
  }

  answerNext(method: string, ...answers: CannedAnswer[]): void {
    this.canned.set(method, [...(this.canned.get(method) ?? []), ...answers]);
  }

  callsOf(method: string): RestCall[] {
    return this.restCalls.filter((c) => c.method === method);
  }

  /** Calls of the portal's REST methods after `since` (an index into restCalls), batch commands included. */
  imconnectorCalls(since = 0): RestCall[] {
    return this.restCalls.slice(since).filter((c) => c.method.startsWith("imconnector.") || c.method === "event.bind");
  }

  /** The IM chat a connector chat id lands in: a new chat (and session) the first time (3.6). */
  imChatOf(externalChatId: string): string {
    let chat = this.imChats.get(externalChatId);
    if (!chat) {
      chat = String(1807 + this.imChats.size);
      this.imChats.set(externalChatId, chat);
    }
    return chat;
  }

  /**
   * Results in the sheet's shapes for the methods the connector calls (3.2, 3.3, 3.5, 3.6, 3.8);
   * any other method echoes what it was given.
   */
  private resultOf(method: string, params: BracketObject): unknown {
    switch (method) {
      case "imconnector.register":
        return { result: true };
      case "event.bind":
      case "imconnector.activate":
      case "imconnector.connector.data.set":
        return true;
      // 5.1, 5.3, 6: these answer `true`
      case "bizproc.robot.add":
      case "bizproc.robot.update":
      case "bizproc.activity.add":
      case "bizproc.activity.update":
      case "bizproc.event.send":
      case "messageservice.sender.add":
      case "messageservice.sender.update":
      case "messageservice.message.status.update":
        return true;
      case "imconnector.send.status.delivery":
      case "imconnector.send.status.reading":
        return { SUCCESS: true, DATA: [] };
      // 3.6 "same shape": the answer of an update is not shown in the sheet [U]; SUCCESS as the acks
      case "imconnector.update.messages":
        return { SUCCESS: true, DATA: [] };
      case "imconnector.send.messages": {
        const list = Array.isArray(params.MESSAGES) ? params.MESSAGES : [];
        const RESULT = list.map((m) => {
          const item = typeof m === "object" && !Array.isArray(m) ? m : {};
          const chat = typeof item.chat === "object" && !Array.isArray(item.chat) ? item.chat : {};
          const chatId = typeof chat.id === "string" ? chat.id : "";
          const imChat = this.imChatOf(chatId);
          return { user: "585", message: { ...(item.message as object), date: {} }, chat, SUCCESS: true, session: { ID: String(Number(imChat) - 1484), CHAT_ID: imChat } };
        });
        return { SUCCESS: true, DATA: { RESULT } };
      }
      case "crm.duplicate.findbycomm":
        return this.duplicatesOf(params);
      case "crm.timeline.comment.add":
        this.serial += 1;
        return 4100 + this.serial;
      default:
        return { method, params };
    }
  }

  /** 7: keys only for the types found; PHP encodes "nothing found" (an empty keyed array) as `[]`. */
  private duplicatesOf(params: BracketObject): unknown {
    if (params.type !== "PHONE") return [];
    const values = Array.isArray(params.values) ? params.values.filter((v): v is string => typeof v === "string") : [];
    const found: Record<string, number[]> = {};
    for (const value of values) {
      for (const [type, ids] of Object.entries(this.phoneOwners.get(value) ?? {})) {
        found[type] = [...new Set([...(found[type] ?? []), ...ids])];
      }
    }
    return Object.keys(found).length > 0 ? found : [];
  }

  /**
   * The refusals the sheet names for calls with missing or wrong fields: bizproc.event.send
   * without EVENT_TOKEN (5.3), a status outside 6's list or without CODE / MESSAGE_ID, robots
   * and activities whose properties break 5.1's rules (fake-bizproc.ts).
   */
  private refusalOf(method: string, params: BracketObject): { error: string; error_description: string } | undefined {
    const bizproc = bizprocRefusal(method, params);
    if (bizproc) return bizproc;
    if (method === "bizproc.event.send" && (typeof params.EVENT_TOKEN !== "string" || params.EVENT_TOKEN === "")) {
      return { error: "ACCESS_DENIED", error_description: "Invalid event token" };
    }
    if (method === "messageservice.message.status.update") {
      if (typeof params.CODE !== "string" || typeof params.MESSAGE_ID !== "string") return { error: "ERROR_MESSAGE_NOT_FOUND", error_description: "Message not found" };
      if (!["queued", "sent", "delivered", "undelivered", "failed"].includes(String(params.STATUS))) {
        return { error: "ERROR_MESSAGE_STATUS_INCORRECT", error_description: "Incorrect message status" };
      }
    }
    return undefined;
  }

  private routes(): Hono {
    const app = new Hono();
    app.get("/oauth/token/", async (c) => {
      const q = new URL(c.req.url).searchParams;
      this.refreshCalls.push(q);
      if (this.refreshDelayMs > 0) await new Promise((r) => setTimeout(r, this.refreshDelayMs));
      if (this.refreshOverride) {
        const answer = this.refreshOverride;
        this.refreshOverride = undefined;
        return c.json(answer.body, answer.status as 400);
      }
      if (q.get("client_id") !== FAKE_CLIENT_ID || q.get("client_secret") !== FAKE_CLIENT_SECRET) {
        return c.json({ error: "invalid_client", error_description: "Invalid client credentials" }, 401);
      }
      const old = q.get("refresh_token") ?? "";
      if (q.get("grant_type") !== "refresh_token" || !this.refreshTokens.delete(old)) {
        return c.json({ error: "invalid_grant", error_description: "Invalid grant" }, 400);
      }
      const memberId = this.memberOf.get(old) ?? "";
      const pair = this.issuePair(memberId);
      return c.json({
        access_token: pair.accessToken,
        refresh_token: pair.refreshToken,
        expires: Math.floor(Date.now() / 1000) + 3600,
        expires_in: 3600,
        scope: "crm,imopenlines,imconnector,bizproc,messageservice,placement",
        domain: "oauth.bitrix.info",
        server_endpoint: "https://oauth.bitrix.info/rest/",
        status: "L",
        client_endpoint: this.clientEndpoint,
        member_id: memberId,
        user_id: 1,
      });
    });
    app.post("/rest/:method{.+}", async (c) => {
      const method = c.req.param("method").replace(/\.json$/, "");
      const body = parseBracketForm(await c.req.text());
      this.restCalls.push({ host: c.req.header("host") ?? "", method, body });
      const canned = this.canned.get(method)?.shift();
      if (canned) return c.json(canned.body, canned.status as 400);
      if (typeof body.auth !== "string" || !this.accessTokens.has(body.auth)) {
        return c.json({ error: "expired_token", error_description: "The access token provided has expired." }, 401);
      }
      const profile = method === "profile" ? this.userProfiles.get(body.auth) : undefined;
      if (profile) return c.json({ result: { ...profile, NAME: "Anna", LAST_NAME: "Admin", TIME_ZONE: "" }, time: timeBlock() });
      if (method === "app.info") {
        return c.json({ result: { ID: "7", CODE: FAKE_CLIENT_ID, VERSION: 1, STATUS: "L", INSTALLED: true, PAYMENT_EXPIRED: "N", DAYS: null, LICENSE: "ru_project" }, time: timeBlock() });
      }
      if (method === "batch") {
        const cmd = typeof body.cmd === "object" && !Array.isArray(body.cmd) ? body.cmd : {};
        const result: Record<string, unknown> = {};
        const errors: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(cmd)) {
          const [sub = "", query = ""] = String(value).split("?", 2);
          const params = parseBracketForm(query);
          this.restCalls.push({ host: c.req.header("host") ?? "", method: sub, body: params, inBatch: true });
          const failure = this.batchFailures.get(sub)?.shift();
          if (sub === "fail.me") errors[key] = { error: "ERROR_CORE", error_description: "asked to fail" };
          else if (failure) errors[key] = failure;
          else if (this.refusalOf(sub, params)) errors[key] = this.refusalOf(sub, params);
          else result[key] = this.resultOf(sub, params);
        }
        // PHP's json_encode turns an empty keyed array into []
        return c.json({ result: { result, result_error: Object.keys(errors).length ? errors : [], result_total: [], result_next: [], result_time: [] }, time: timeBlock() });
      }
      const { auth: _auth, ...params } = body;
      const refusal = this.refusalOf(method, params);
      if (refusal) return c.json(refusal, 400);
      return c.json({ result: this.resultOf(method, params), time: timeBlock() });
    });
    return app;
  }
}
