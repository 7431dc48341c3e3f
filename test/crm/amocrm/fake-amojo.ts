import { createHash, createHmac, randomUUID } from "node:crypto";
import { type Context, Hono } from "hono";
import { type FakeServer, startFake } from "../../support/fake-server.js";
import { editMessageProblems, isRecord, newMessageProblems } from "./fake-amojo-wire.js";

/** The registered channel as support hands it over (reference/amocrm.md 2.2 example values). */
export const FAKE_CHANNEL_ID = "a4490ccc-5d7f-11e7-907b-a6006ad3dba0";
export const FAKE_CHANNEL_SECRET = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
export const FAKE_BOT_ID = "5f0c3bde-8a1e-4a3e-9b1f-2f6f5d0e9c11";

/** One signed request as the fake received and checked it. */
export interface AmojoCall {
  method: string;
  path: string;
  raw: string;
  body: unknown;
  headers: Headers;
}

export interface FakeAmojoAnswer {
  status: number;
  body?: unknown;
}

/** What a hook helper fills in; everything else gets 2.7's example values. */
export interface HookInput {
  accountId: string;
  messageId?: string;
  conversationId?: string;
  /** our conversation_id; left out for a write-first chat */
  conversationClientId?: string;
  sourceExternalId?: string;
  receiverPhone?: string;
  receiverId?: string;
  receiverClientId?: string;
  type?: string;
  text?: string;
  media?: string;
  fileName?: string;
  markup?: unknown;
}

const DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$/;

/**
 * The amojo Chats API (reference/amocrm.md 2.3-2.8) on loopback. Every request is checked like
 * the real one checks it (2.4): Content-Type exactly application/json, Content-MD5 of the bytes
 * received, a `+0000` RFC 2822 Date within 15 minutes of the fake's clock, and X-Signature with
 * the channel secret; a mismatch is a 403 and a recorded violation. Payloads are checked
 * against 2.5's rules (sender.name, file_name/file_size for file/video/picture, source id).
 */
export class FakeAmojo {
  readonly calls: AmojoCall[] = [];
  readonly violations: string[] = [];
  /** amojo id -> scope id of connected accounts */
  readonly connected = new Map<string, string>();
  /** amojo message ids the fake issued (new_message answers) or sent in hooks */
  readonly knownMessages = new Set<string>();
  /** our msgids of the messages posted (what an edit_message names) */
  readonly ourMessageIds = new Set<string>();
  private readonly queued: FakeAmojoAnswer[] = [];
  /** each request's parsed body (the raw bytes are read once, for the MD5 check) */
  private readonly bodies = new WeakMap<Request, unknown>();
  private server: FakeServer | undefined;
  readonly app = new Hono();

  constructor(
    private readonly now: () => Date,
    readonly channelId = FAKE_CHANNEL_ID,
    readonly secret = FAKE_CHANNEL_SECRET,
  ) {
    this.routes();
  }

  get url(): string {
    if (!this.server) throw new Error("fake amojo not started");
    return this.server.url;
  }

  async start(): Promise<this> {
    this.server = await startFake(this.app);
    return this;
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  /** The next signed request gets this answer after it was checked. */
  answerNext(answer: FakeAmojoAnswer): void {
    this.queued.push(answer);
  }

  callsTo(suffix: string): AmojoCall[] {
    return this.calls.filter((c) => c.path.endsWith(suffix));
  }

  /** new_message payloads posted into a scope. */
  newMessages(scopeId: string): Array<Record<string, unknown>> {
    return this.calls
      .filter((c) => c.method === "POST" && c.path === `/v2/origin/custom/${scopeId}` && (c.body as { event_type?: unknown }).event_type !== "edit_message")
      .map((c) => (c.body as { payload: Record<string, unknown> }).payload);
  }

  /** edit_message payloads posted into a scope. */
  edits(scopeId: string): Array<Record<string, unknown>> {
    return this.calls
      .filter((c) => c.method === "POST" && c.path === `/v2/origin/custom/${scopeId}` && (c.body as { event_type?: unknown }).event_type === "edit_message")
      .map((c) => (c.body as { payload: Record<string, unknown> }).payload);
  }

  deliveryStatuses(scopeId: string): Array<{ msgid: string; body: Record<string, unknown> }> {
    const prefix = `/v2/origin/custom/${scopeId}/`;
    return this.calls
      .filter((c) => c.path.startsWith(prefix) && c.path.endsWith("/delivery_status"))
      .map((c) => ({ msgid: c.path.slice(prefix.length, -"/delivery_status".length), body: c.body as Record<string, unknown> }));
  }

  /** 2.7 v2 outgoing hook payload. */
  hookPayload(input: HookInput): Record<string, unknown> {
    const messageId = input.messageId ?? randomUUID();
    const type = input.type ?? (input.media ? "picture" : "text");
    return {
      account_id: input.accountId,
      time: Math.floor(this.now().getTime() / 1000),
      message: {
        receiver: {
          id: input.receiverId ?? randomUUID(),
          phone: input.receiverPhone ?? "",
          email: "",
          ...(input.receiverClientId ? { client_id: input.receiverClientId } : {}),
        },
        sender: { id: "76fc2bea-902f-425c-9a3d-dcdac4766090" },
        conversation: { id: input.conversationId ?? randomUUID(), ...(input.conversationClientId ? { client_id: input.conversationClientId } : {}) },
        ...(input.sourceExternalId ? { source: { external_id: input.sourceExternalId } } : {}),
        timestamp: Math.floor(this.now().getTime() / 1000),
        msec_timestamp: this.now().getTime(),
        message: {
          id: messageId,
          type,
          text: input.text ?? "",
          ...(input.media ? { media: input.media, thumbnail: input.media, file_name: input.fileName ?? "", file_size: 0 } : {}),
          tag: "",
          ...(input.markup ? { markup: input.markup } : {}),
        },
      },
    };
  }

  /**
   * POSTs an outgoing hook to our app as amojo does (2.7): JSON, X-Signature = HMAC-SHA1 of the
   * raw body with the channel secret. `target` is the app's base URL or its `request` function.
   */
  async sendHook(
    target: string | ((path: string, init: RequestInit) => Response | Promise<Response>),
    scopeId: string,
    payload: unknown,
    opts: { secret?: string; signature?: string | null; raw?: string } = {},
  ): Promise<Response> {
    const raw = opts.raw ?? JSON.stringify(payload);
    const signature = opts.signature === undefined ? createHmac("sha1", opts.secret ?? this.secret).update(raw).digest("hex") : opts.signature;
    if (isRecord(payload) && isRecord(payload.message) && isRecord(payload.message.message) && typeof payload.message.message.id === "string") {
      this.knownMessages.add(payload.message.message.id);
    }
    const path = `/amocrm/amojo/${scopeId}`;
    const init: RequestInit = {
      method: "POST",
      headers: { "content-type": "application/json", ...(signature !== null ? { "x-signature": signature } : {}) },
      body: raw,
    };
    return typeof target === "string" ? fetch(`${target}${path}`, init) : target(path, init);
  }

  /** 2.4: checks a request's headers against its raw bytes; undefined when it is properly signed. */
  private signatureProblem(method: string, path: string, raw: Buffer, headers: Headers): string | undefined {
    const contentType = headers.get("content-type");
    if (contentType !== "application/json") return `Content-Type must be exactly application/json, got ${JSON.stringify(contentType)}`;
    const md5 = createHash("md5").update(raw).digest("hex");
    if (headers.get("content-md5") !== md5) return `Content-MD5 ${headers.get("content-md5")} is not the MD5 of the body (${md5})`;
    const date = headers.get("date") ?? "";
    if (!DATE.test(date)) return `Date must be RFC 2822 with +0000, got ${JSON.stringify(date)}`;
    const skew = Math.abs(Date.parse(date) - this.now().getTime());
    if (!(skew <= 15 * 60_000)) return `Date ${date} is more than 15 minutes off`;
    const expected = createHmac("sha1", this.secret).update([method, md5, contentType, date, path].join("\n")).digest("hex");
    if (headers.get("x-signature") !== expected) return `X-Signature does not match (expected ${expected})`;
    return undefined;
  }

  private check(ok: boolean, message: string): boolean {
    if (!ok) this.violations.push(message);
    return ok;
  }

  private routes(): void {
    // every request: recorded, signature-checked, then routed (or answered as queued)
    this.app.use("*", async (c, next) => {
      const raw = Buffer.from(await c.req.arrayBuffer());
      const path = new URL(c.req.url).pathname;
      let body: unknown;
      try {
        body = raw.length > 0 ? JSON.parse(raw.toString("utf8")) : undefined;
      } catch {
        body = undefined;
      }
      this.calls.push({ method: c.req.method, path, raw: raw.toString("utf8"), body, headers: c.req.raw.headers });
      const problem = this.signatureProblem(c.req.method, path, raw, c.req.raw.headers);
      if (problem) {
        this.violations.push(`${c.req.method} ${path}: ${problem}`);
        return c.json({ error_code: 403, error_type: "ERR_SIGNATURE", error_description: problem }, 403);
      }
      this.bodies.set(c.req.raw, body);
      const queued = this.queued.shift();
      if (queued) return new Response(JSON.stringify(queued.body ?? {}), { status: queued.status, headers: { "content-type": "application/json" } });
      await next();
    });
    const bodyOf = (c: Context): unknown => this.bodies.get(c.req.raw);

    this.app.post("/v2/origin/custom/:channel/connect", (c) => {
      if (c.req.param("channel") !== this.channelId) return c.json({ error_description: "channel not found" }, 404);
      const body = bodyOf(c);
      if (!this.check(isRecord(body) && typeof body.account_id === "string" && body.account_id !== "", "connect: account_id must be the amojo id")) {
        return c.json({ error_description: "account_id required" }, 400);
      }
      const b = body as Record<string, unknown>;
      this.check(b.hook_api_version === "v2", `connect: hook_api_version must be "v2", got ${JSON.stringify(b.hook_api_version)}`);
      const accountId = String(b.account_id);
      const scopeId = `${this.channelId}_${accountId}`;
      this.connected.set(accountId, scopeId);
      return c.json({ account_id: accountId, scope_id: scopeId, title: b.title ?? "", hook_api_version: "v2", is_time_window_disabled: b.is_time_window_disabled === true });
    });

    this.app.delete("/v2/origin/custom/:channel/disconnect", (c) => {
      if (c.req.param("channel") !== this.channelId) return c.json({ error_description: "channel not found" }, 404);
      const body = bodyOf(c);
      if (!this.check(isRecord(body) && typeof body.account_id === "string", "disconnect: body must be {account_id}")) return c.json({}, 400);
      this.connected.delete(String((body as Record<string, unknown>).account_id));
      return c.body(null, 200);
    });

    this.app.post("/v2/origin/custom/:scope", (c) => {
      const scope = c.req.param("scope");
      if (!this.check([...this.connected.values()].includes(scope), `new_message: scope ${scope} is not connected`)) return c.json({}, 404);
      const raw = bodyOf(c);
      if (isRecord(raw) && raw.event_type === "edit_message") {
        const editProblems = editMessageProblems(raw, this.ourMessageIds);
        this.violations.push(...editProblems.map((p) => `edit_message: ${p}`));
        // [U] the answer to an edit is not in the sheet: an empty object
        return editProblems.length > 0 ? c.json({ error_code: 400, error_description: editProblems.join("; ") }, 400) : c.json({});
      }
      const problems = newMessageProblems(raw);
      if (problems.length > 0) {
        this.violations.push(...problems.map((p) => `new_message: ${p}`));
        return c.json({ error_code: 400, error_type: "ERR_VALIDATION", error_description: problems.join("; ") }, 400);
      }
      const payload = (bodyOf(c) as { payload: Record<string, unknown> }).payload;
      const msgid = randomUUID();
      this.knownMessages.add(msgid);
      if (typeof payload.msgid === "string") this.ourMessageIds.add(payload.msgid);
      return c.json({
        new_message: {
          conversation_id: payload.conversation_id,
          sender_id: randomUUID(),
          receiver_id: payload.receiver ? randomUUID() : null,
          msgid,
          ref_id: payload.msgid,
        },
      });
    });

    this.app.post("/v2/origin/custom/:scope/:msgid/delivery_status", (c) => {
      if (!this.knownMessages.has(c.req.param("msgid"))) return c.json({ error_description: "message not found" }, 404);
      const body = bodyOf(c);
      const ok = isRecord(body) && [1, 2, -1].includes(Number(body.status_code ?? body.delivery_status));
      if (!this.check(ok, `delivery_status: bad body ${JSON.stringify(body)}`)) return c.json({}, 400);
      const b = body as Record<string, unknown>;
      if (b.status_code === -1) {
        this.check(typeof b.error_code === "number" && [901, 902, 903, 904, 905].includes(b.error_code), "delivery_status: -1 needs an error_code 901-905");
        this.check(b.error_code !== 905 || (typeof b.error === "string" && b.error !== ""), "delivery_status: 905 needs an error text");
      }
      return c.json({});
    });

    this.app.notFound((c) => {
      this.violations.push(`no such amojo endpoint: ${c.req.method} ${c.req.path}`);
      return c.json({ error_description: "not found" }, 404);
    });
  }
}
