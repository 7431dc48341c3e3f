import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import version from "../../../app/providers/waha/fixtures/server-version.json";
import documentMessage from "../../../app/providers/waha/fixtures/webhook-message-document.json";
import imageLocalhost from "../../../app/providers/waha/fixtures/webhook-message-image-localhost.json";
import text from "../../../app/providers/waha/fixtures/webhook-message-text.json";
import { describeProvider } from "../../../app/api/admin/list-providers.js";
import { waha } from "../../../app/providers/waha/index.js";
import { HMAC_PURPOSE } from "../../../app/providers/waha/session.js";
import { hmacSha512Hex } from "../../../app/providers/waha/webhook.js";
import { type Provider, type ProviderContext, ProviderPermanentError, ProviderRetryableError } from "../../../app/providers/types.js";
import type { WahaCredentials } from "../../../app/providers/waha/schema.js";
import type { FakeServer } from "../../support/fake-server.js";
import { providerContext, Recorder, serveFake, webhookRequest } from "../provider-fake.js";
import { createWahaFake, MEDIA_BYTES, SENT_IDS, WAHA_KEY, WAHA_SESSION, WahaState } from "./fake.js";
import { signed } from "./webhook-cases.js";

const HOOK = "https://chatbridge.example.com/hooks/waha/s3cret";
const failure = (p: Promise<unknown>) => p.then(() => Promise.reject(new Error("expected a failure")), (e: unknown) => e as ProviderPermanentError);

describe("waha", () => {
  const recorder = new Recorder();
  const state = new WahaState();
  let server: FakeServer;
  const ctxWith = (extra: Partial<WahaCredentials> = {}, hookUrl?: string): ProviderContext<WahaCredentials> => {
    const ctx = providerContext(waha, { credentials: { apiUrl: server.url, apiKey: WAHA_KEY, session: WAHA_SESSION, ...extra }, messenger: "whatsapp" });
    return hookUrl ? { ...ctx, hookUrl } : ctx;
  };
  const calls = () => recorder.requests.map((r) => `${r.method} ${r.path}`);

  beforeAll(async () => {
    server = await serveFake((fake) => createWahaFake(fake, state), recorder);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    recorder.reset();
    state.reset();
  });

  it("the settings pages' generic form gets the fields with titles, a password field for the key, session defaulting to default", () => {
    const schema = describeProvider(waha as Provider<unknown>).credentials as { properties: Record<string, Record<string, unknown>>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(["apiUrl", "apiKey", "session"]);
    expect(schema.required).toEqual(["apiUrl", "apiKey"]);
    expect(schema.properties.apiUrl).toMatchObject({ title: "WAHA server URL", format: "uri" });
    expect(schema.properties.apiKey).toMatchObject({ title: "API key" });
    expect(schema.properties.session).toMatchObject({ default: "default" });
  });

  describe("webhook HMAC", () => {
    it("computes WAHA's documented test vector (sha512 over the raw body)", async () => {
      const mac = await hmacSha512Hex("my-secret-key", '{"event":"message","session":"default","engine":"WEBJS"}');
      expect(mac).toHaveLength(128);
      expect(mac.startsWith("208f8a55dde9e055")).toBe(true);
      expect(mac.endsWith("1777076153fa89")).toBe(true);
    });

    it("accepts the body exactly as signed and refuses it once a byte changes", async () => {
      const request = await signed(text);
      expect(await waha.parseWebhook(webhookRequest(request), ctxWith())).toHaveLength(1);
      const reformatted = JSON.stringify(JSON.parse(request.body as string), null, 1);
      const err = await failure(waha.parseWebhook(webhookRequest({ ...request, body: reformatted }), ctxWith()));
      expect(err).toBeInstanceOf(ProviderPermanentError);
      expect(err.code).toBe("invalid_credentials");
    });

    it("refuses another algorithm, an empty header and another channel's key", async () => {
      const request = await signed(text);
      const headers = request.headers!;
      for (const changed of [
        { ...headers, "x-webhook-hmac-algorithm": "sha256" },
        { ...headers, "x-webhook-hmac": "" },
        (await signed(text, "ch_other")).headers!,
      ]) {
        expect((await failure(waha.parseWebhook(webhookRequest({ ...request, headers: changed }), ctxWith()))).code).toBe("invalid_credentials");
      }
    });

    it("signs with the channel's own secret for the purpose waha-hmac", async () => {
      const ctx = ctxWith();
      await waha.configureWebhook!(ctx, HOOK);
      const hooks = state.sessions.get(WAHA_SESSION)!.config!.webhooks as Array<{ hmac: { key: string } }>;
      expect(hooks[0]!.hmac.key).toBe(await ctx.channelSecret(HMAC_PURPOSE));
    });
  });

  describe("media", () => {
    it("a file on the channel's server is downloaded with the key", async () => {
      const ctx = ctxWith();
      const url = `${server.url}/api/files/crm-1/false_79001234567@c.us_3EB0D0C0B0A090807060.pdf`;
      const body = { ...documentMessage, payload: { ...documentMessage.payload, media: { ...documentMessage.payload.media, url } } };
      const [event] = await waha.parseWebhook(webhookRequest(await signed(body)), ctx);
      if (event?.type !== "incoming") throw new Error("expected an incoming message");
      expect(event.files).toEqual([{ url, name: "invoice.pdf", mime: "application/pdf", headers: { "x-api-key": WAHA_KEY } }]);

      // what re-hosting does (core/media.ts): the stored link, with downloadHeaders
      const headers = waha.downloadHeaders!(ctx, url);
      const res = await fetch(url, { headers });
      expect(res.status).toBe(200);
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(MEDIA_BYTES);
      expect(recorder.violations).toEqual([]);
      // without the key the server refuses it
      await fetch(url);
      expect(recorder.violations.some((v) => v.startsWith("X-Api-Key"))).toBe(true);
    });

    it("a localhost link (WAHA_BASE_URL unset) is fetched from the channel's server URL instead", async () => {
      const [event] = await waha.parseWebhook(webhookRequest(await signed(imageLocalhost)), ctxWith());
      if (event?.type !== "incoming") throw new Error("expected an incoming message");
      expect(event.files).toEqual([
        {
          url: `${server.url}/api/files/crm-1/false_79001234567@c.us_3EB0D0C0B0A090807061.jpeg`,
          name: "false_79001234567@c.us_3EB0D0C0B0A090807061.jpeg",
          mime: "image/jpeg",
          headers: { "x-api-key": WAHA_KEY },
        },
      ]);
    });

    it("the key never goes to another host (S3 links, other servers)", () => {
      const ctx = ctxWith();
      expect(waha.downloadHeaders!(ctx, "https://bucket.s3.amazonaws.com/waha/file.pdf")).toEqual({});
      expect(waha.downloadHeaders!(ctx, `${server.url.replace("127.0.0.1", "localhost")}/api/files/x`)).toEqual({});
      expect(waha.downloadHeaders!(ctx, `${server.url}/api/files/x`)).toEqual({ "x-api-key": WAHA_KEY });
    });
  });

  describe("describe", () => {
    it("reuses a WORKING session and shows its number", async () => {
      const described = await waha.describe!(ctxWith());
      expect(described).toEqual({
        state: "connected",
        info: { session: WAHA_SESSION, status: "WORKING", number: "74950000000", push_name: "Shop", engine: "WEBJS", version: "2026.7.1" },
      });
      expect(calls()).toEqual(["GET /api/server/version", `GET /api/sessions/${WAHA_SESSION}`]);
    });

    it("creates a missing session, started and with our webhook, so the QR follows", async () => {
      state.sessions.clear();
      const ctx = ctxWith({}, HOOK);
      const described = await waha.describe!(ctx);
      expect(described.state).toBe("connecting");
      expect(described.info).toMatchObject({ status: "STARTING", created: "true" });
      const create = recorder.requests.find((r) => r.method === "POST" && r.path === "/api/sessions");
      expect(JSON.parse(create!.body)).toEqual({
        name: WAHA_SESSION,
        start: true,
        config: { webhooks: [expect.objectContaining({ url: HOOK, hmac: { key: await ctx.channelSecret(HMAC_PURPOSE) } })] },
      });
      expect(state.sessions.get(WAHA_SESSION)?.status).toBe("SCAN_QR_CODE");
      // the webhook is already there: configureWebhook changes nothing (a PUT would restart the session)
      recorder.reset();
      await waha.configureWebhook!(ctx, HOOK);
      expect(calls()).toEqual([`GET /api/sessions/${WAHA_SESSION}`]);
      expect(recorder.violations).toEqual([]);
    });

    it("a session created meanwhile by another process (422 already exists) is reused", async () => {
      recorder.answerNext({ status: 200, body: version });
      recorder.answerNext({ status: 404, body: { message: "Session not found", error: "Not Found", statusCode: 404 } });
      const described = await waha.describe!(ctxWith());
      expect(calls()).toEqual(["GET /api/server/version", `GET /api/sessions/${WAHA_SESSION}`, "POST /api/sessions", `GET /api/sessions/${WAHA_SESSION}`]);
      expect(described.state).toBe("connected");
    });

    it("starts a stopped session", async () => {
      state.sessions.get(WAHA_SESSION)!.status = "STOPPED";
      const described = await waha.describe!(ctxWith());
      expect(calls()).toContain(`POST /api/sessions/${WAHA_SESSION}/start`);
      expect(described.info.status).toBe("STARTING");
      expect(state.sessions.get(WAHA_SESSION)?.status).toBe("WORKING");
    });

    it("a refused key is invalid_credentials", async () => {
      const err = await failure(waha.describe!(ctxWith({ apiKey: "wrong" })));
      expect(err.code).toBe("invalid_credentials");
      expect(state.sessions.size).toBe(1);
    });

    it("an older server without /api/server/version still describes the session", async () => {
      recorder.answerNext({ status: 404, body: { message: "Cannot GET /api/server/version", error: "Not Found", statusCode: 404 } });
      const described = await waha.describe!(ctxWith());
      expect(described.info.version).toBeUndefined();
      expect(described.state).toBe("connected");
    });
  });

  describe("configureWebhook", () => {
    it("keeps the admin's own webhooks and replaces our receiver's old URL", async () => {
      const admin = { url: "https://n8n.example.com/webhook/wa", events: ["message"] };
      state.sessions.get(WAHA_SESSION)!.config = {
        proxy: { server: "proxy.example.com:3128" },
        webhooks: [admin, { url: "https://chatbridge.example.com/hooks/waha/old-secret", events: ["message"] }],
      };
      await waha.configureWebhook!(ctxWith(), HOOK);
      const config = state.sessions.get(WAHA_SESSION)!.config as { proxy: unknown; webhooks: Array<{ url: string }> };
      expect(config.proxy).toEqual({ server: "proxy.example.com:3128" });
      expect(config.webhooks.map((w) => w.url)).toEqual([admin.url, HOOK]);
      expect(recorder.violations).toEqual([]);
    });

    it("restarts nothing when our webhook is already set", async () => {
      await waha.configureWebhook!(ctxWith(), HOOK);
      recorder.reset();
      await waha.configureWebhook!(ctxWith(), HOOK);
      expect(calls()).toEqual([`GET /api/sessions/${WAHA_SESSION}`]);
    });
  });

  describe("send", () => {
    const sendText = (ctx: ProviderContext<WahaCredentials>, phone: string) =>
      waha.send(ctx, { to: { phone }, content: { type: "text", text: "Hi" }, messageId: "m1" });

    it("checks the number first and sends to the chatId WAHA returns (Brazilian 9th digit)", async () => {
      const result = await sendText(ctxWith(), "5511987654321");
      expect(result.providerMessageId).toBe(`true_551187654321@c.us_${SENT_IDS.sendText}`);
      const sent = recorder.requests.find((r) => r.path === "/api/sendText")!;
      expect(JSON.parse(sent.body)).toEqual({ session: WAHA_SESSION, chatId: "551187654321@c.us", text: "Hi" });
      expect(recorder.requests[0]!.query.get("phone")).toBe("5511987654321");
    });

    it("asks check-exists once per number and channel", async () => {
      const ctx = ctxWith();
      await sendText(ctx, "79001234567");
      await sendText(ctx, "79001234567");
      expect(calls().filter((c) => c.startsWith("GET /api/contacts/check-exists"))).toHaveLength(1);
    });

    it("a number without WhatsApp is no_messenger, and nothing is sent", async () => {
      const err = await failure(sendText(ctxWith(), "79000000000"));
      expect(err).toBeInstanceOf(ProviderPermanentError);
      expect(err.code).toBe("no_messenger");
      expect(calls().some((c) => c.includes("/api/sendText"))).toBe(false);
    });

    it("an engine without check-exists sends to <digits>@c.us", async () => {
      recorder.answerNext({ status: 422, body: { message: "The method is not implemented by the engine.", statusCode: 422 } });
      const result = await sendText(ctxWith(), "79001230000");
      expect(result.providerMessageId).toBe(`true_79001230000@c.us_${SENT_IDS.sendText}`);
    });

    it("a session waiting for the QR is not_connected (permanent); a starting one is retried", async () => {
      state.sessions.get(WAHA_SESSION)!.status = "SCAN_QR_CODE";
      const waiting = await failure(sendText(ctxWith(), "79001234567"));
      expect([waiting instanceof ProviderPermanentError, waiting.code]).toEqual([true, "not_connected"]);
      state.sessions.get(WAHA_SESSION)!.status = "STARTING";
      const starting = await failure(sendText(ctxWith(), "79001234567"));
      expect([starting instanceof ProviderRetryableError, starting.code]).toEqual([true, "not_connected"]);
    });

    it.each([
      ["NOWEB", "key.id completed with the chat"],
      ["GOWS", "WAMessage id"],
    ] as const)("reads the sent id of %s answers (%s) so acks match it", async (engine, _how) => {
      state.engine = engine;
      const result = await sendText(ctxWith(), "79001234567");
      expect(result.providerMessageId).toBe(`true_79001234567@c.us_${SENT_IDS.sendText}`);
    });

    it("an empty 201 (WEBJS 2025.6.5, waha#1083) is a sent message whose id is unknown, not a failure", async () => {
      const ctx = ctxWith();
      await sendText(ctx, "79001234567"); // the number's chat is known now: the next call is the send itself
      recorder.answerNext({ status: 201, body: "" });
      const result = await sendText(ctx, "79001234567");
      expect(result.providerMessageId).toBe("true_79001234567@c.us_unconfirmed-m1-0");
    });

    it("resumes a voice note with caption after its first part: only the caption goes", async () => {
      const recorded: Array<[number, string]> = [];
      const progress = { parts: [`true_79001234567@c.us_${SENT_IDS.sendVoice}`], record: async (i: number, id: string) => void recorded.push([i, id]) };
      const result = await waha.send(ctxWith(), {
        to: { phone: "79001234567" },
        content: { type: "file", url: "https://files.example.com/a/note.ogg", caption: "listen" },
        messageId: "m2",
        progress,
      });
      expect(calls().filter((c) => c.startsWith("POST /api/send"))).toEqual(["POST /api/sendText"]);
      expect(recorded).toEqual([[1, result.providerMessageId]]);
    });
  });
});
