import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../../app/core/clock.js";
import { wahelp } from "../../../app/providers/wahelp/index.js";
import type { WahelpCredentials } from "../../../app/providers/wahelp/schema.js";
import { TOKEN_REFRESH_MARGIN_MS } from "../../../app/providers/wahelp/session.js";
import { type ProviderContext, ProviderPermanentError, WebhookPayloadError } from "../../../app/providers/types.js";
import type { FakeServer } from "../../support/fake-server.js";
import { providerContext, Recorder, serveFake, webhookRequest } from "../provider-fake.js";
import { createWahelpFake, WAHELP_CHANNEL, WAHELP_LOGIN, WAHELP_PASSWORD, WAHELP_PROJECT, WahelpFakeState } from "./fake.js";

const TOKEN_LIFETIME_MS = 3600 * 1000; // seed 000 §1: expires_in 3600

describe("wahelp provider", () => {
  const recorder = new Recorder();
  const state = new WahelpFakeState();
  let server: FakeServer;
  let clock: ManualClock;
  let ctx: ProviderContext<WahelpCredentials>;

  const credentials = (apiUrl?: string) => ({
    login: WAHELP_LOGIN,
    password: WAHELP_PASSWORD,
    projectId: WAHELP_PROJECT,
    channelUuid: WAHELP_CHANNEL,
    ...(apiUrl ? { apiUrl } : {}),
  });
  const sendText = (phone: string, text = "hello", c = ctx) =>
    wahelp.send(c, { to: { phone }, content: { type: "text", text }, messageId: `m-${text}` });

  beforeAll(async () => {
    server = await serveFake((fake) => createWahelpFake(fake, state), recorder);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    recorder.reset();
    state.reset();
    clock = new ManualClock(Date.UTC(2026, 0, 24, 12));
    ctx = { ...providerContext(wahelp, { credentials: credentials(server.url), messenger: "whatsapp" }), clock };
  });

  describe("token", () => {
    it("20 concurrent sends around token expiry produce exactly one login request", async () => {
      await sendText("79001234567", "warm-up");
      expect(state.logins).toBe(1);

      clock.advance(TOKEN_LIFETIME_MS - TOKEN_REFRESH_MARGIN_MS / 2); // inside the refresh margin
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => sendText("79001234567", `burst ${i}`)));

      expect(state.logins).toBe(2);
      expect(results).toHaveLength(20);
      expect(state.sends.filter((s) => s.text.startsWith("burst"))).toHaveLength(20);
      expect(recorder.requests.filter((r) => r.path === "/api/app/user/login")).toHaveLength(2);
      expect(recorder.violations).toEqual([]);
    });

    it("a token the server expired early (401) is renewed once for 20 concurrent sends", async () => {
      await sendText("79001234567", "warm-up");
      state.revokeTokens();

      await Promise.all(Array.from({ length: 20 }, (_, i) => sendText("79001234567", `after-401 ${i}`)));

      expect(state.logins).toBe(2);
      expect(state.sends.filter((s) => s.text.startsWith("after-401"))).toHaveLength(20);
      expect(recorder.requests.filter((r) => r.headers.get("authorization") === "Bearer token-2").length).toBe(20);
    });

    it("reuses the cached token until shortly before it expires", async () => {
      await sendText("79001234567", "one");
      clock.advance(TOKEN_LIFETIME_MS - TOKEN_REFRESH_MARGIN_MS - 1000);
      await sendText("79001234567", "two");
      expect(state.logins).toBe(1);
    });

    it("a refused login is a permanent invalid_credentials, not a loop", async () => {
      const wrong = { ...ctx, credentials: { ...ctx.credentials, password: "nope" } };
      await expect(sendText("79001234567", "x", wrong)).rejects.toMatchObject({ code: "invalid_credentials" });
      expect(state.logins).toBe(1);
    });
  });

  describe("host", () => {
    it("without apiUrl and WAHELP_API_URL fails as bad_request naming the missing host", async () => {
      const bare = providerContext(wahelp, { credentials: credentials(), messenger: "whatsapp" });
      const err = await sendText("79001234567", "x", bare).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderPermanentError);
      expect(err).toMatchObject({ code: "bad_request" });
      expect(String((err as Error).message)).toMatch(/Wahelp host must be configured/);
      expect(recorder.requests).toHaveLength(0);
    });

    it("falls back to WAHELP_API_URL from the config", async () => {
      const fromConfig = providerContext(wahelp, {
        credentials: credentials(),
        messenger: "whatsapp",
        config: { WAHELP_API_URL: server.url },
      });
      expect(await sendText("79001234567", "x", fromConfig)).toEqual({ providerMessageId: "401" });
    });
  });

  describe("users", () => {
    it("creates the Wahelp user once per phone and sends to its id", async () => {
      await sendText("79001234567", "a");
      await sendText("79001234567", "b");
      expect(state.usersCreated).toBe(1);
      const create = recorder.requests.find((r) => r.path.endsWith("/users"));
      expect(JSON.parse(create!.body)).toEqual({ name: "+79001234567", phone: "+79001234567" });
      expect(state.sends.map((s) => s.userId)).toEqual(["367", "367"]);
    });

    it("concurrent first sends to one phone share one user creation", async () => {
      await Promise.all(Array.from({ length: 5 }, (_, i) => sendText("79005550011", `c${i}`)));
      expect(state.usersCreated).toBe(1);
    });

    it("sends to a Wahelp user id given as chatId without creating a user", async () => {
      state.users.set("+79001234567", "367");
      await wahelp.send(ctx, { to: { chatId: "367" }, content: { type: "text", text: "hi" }, messageId: "m1" });
      expect(state.usersCreated).toBe(0);
      expect(recorder.requests.at(-1)?.path).toBe(`/api/app/projects/101/channels/${WAHELP_CHANNEL}/send_message/367`);
    });

    it("checkPhone passes on other provider errors as rejected", async () => {
      await sendText("79001234567", "log in first");
      recorder.answerNext({ status: 422, body: { success: false, message: "The phone format is invalid." } });
      await expect(wahelp.checkPhone(ctx, "79001230000")).rejects.toMatchObject({ code: "rejected" });
    });
  });

  it("a file send is unsupported (file parameters undocumented) and calls nothing", async () => {
    const err = await wahelp
      .send(ctx, { to: { phone: "79001234567" }, content: { type: "file", url: "https://example.com/a.pdf" }, messageId: "f1" })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "unsupported" });
    expect(recorder.requests).toHaveLength(0);
  });

  describe("webhook [U shape]", () => {
    const parse = (body: unknown) => wahelp.parseWebhook(webhookRequest({ body: body as object }), ctx);

    it("[U] accepts an array of bare message objects with unix-second timestamps", async () => {
      const events = await parse([
        { id: 7, direction: "in", text: "hi", phone: "+7 900 123-45-67", created_at: 1769259120 },
        { id: 8, direction: "out", status: "delivered", updated_at: 1769259180 },
      ]);
      expect(events).toEqual([
        { type: "incoming", eventId: "in:7", providerMessageId: "7", peer: { phone: "79001234567" }, text: "hi", files: [], at: new Date(1769259120_000) },
        { type: "status", eventId: "status:8:delivered", providerMessageId: "8", status: "delivered", at: new Date(1769259180_000) },
      ]);
    });

    it("[U] in-flight statuses (queued, pending) produce no event", async () => {
      expect(await parse({ data: { id: 9, direction: "outgoing", status: "queued" } })).toEqual([]);
    });

    it("[U] an incoming message with neither text nor files is a WebhookPayloadError", async () => {
      await expect(parse({ id: 10, direction: "incoming", phone: "+79001234567" })).rejects.toBeInstanceOf(WebhookPayloadError);
    });
  });
});
