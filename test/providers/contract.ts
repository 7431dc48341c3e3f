import { Hono } from "hono";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type ChannelState,
  type OutgoingContent,
  type Peer,
  type Provider,
  type ProviderContext,
  type ProviderErrorCode,
  type ProviderEvent,
  ProviderPermanentError,
  ProviderRetryableError,
  WebhookPayloadError,
} from "../../app/providers/types.js";
import { type FakeServer, startFake } from "../support/fake-server.js";
import {
  type FakeAnswer,
  type FakeRecorder,
  type FakeTarget,
  Recorder,
  serveFake,
  type WebhookInput,
  providerContext,
  webhookRequest,
} from "./provider-fake.js";

export type { FakeAnswer, FakeRecorder, FakeTarget, RecordedRequest, WebhookInput } from "./provider-fake.js";
export { providerContext, webhookRequest } from "./provider-fake.js";

export interface ExpectedError {
  retryable: boolean;
  code: ProviderErrorCode;
  delayMs?: number;
}

export type ContractCall = "sendText" | "sendFile" | "checkPhone" | "status" | "qr";

export interface ProviderContractKit<C> {
  /** describe() title; defaults to the provider's name */
  title?: string;
  provider: Provider<C>;
  /** the provider's fake: a Hono app with its real paths, auth, body fields and fixture answers */
  createFake(fake: FakeRecorder): Hono;
  /** raw credentials pointing the provider at a fake served on baseUrl */
  target(baseUrl: string): FakeTarget;
  /** the same credentials with a wrong secret: the fake must refuse them the way the provider does */
  withWrongSecret(credentials: unknown): unknown;
  /** extra credential inputs: valid ones must parse, invalid ones must not */
  credentials: { valid: unknown[]; invalid: unknown[] };
  sendText: { to: Peer; text: string; providerMessageId: string };
  /** required when capabilities.fileByUrl */
  sendFile?: Array<{ name: string; to: Peer; file: Extract<OutgoingContent, { type: "file" }>; providerMessageId: string }>;
  /** required when capabilities.checkPhone; the fake knows which number exists */
  checkPhone?: { exists: { phone: string; chatId?: string }; missing: { phone: string } };
  /** each one: the fake's own answer (no `answer`) or an injected wire answer, and the state it means */
  status: Array<{ name: string; answer?: FakeAnswer; expect: { state: ChannelState; detail?: string } }>;
  /**
   * required when the provider has qr(). `prepare`: answers queued before the QR call (e.g. a
   * "not logged in" status); `loggedIn`: answers under which qr() must return null (`[]` when
   * the fake's own answers already mean "logged in").
   */
  qr?: { dataUrlPrefix: string; prepare?: FakeAnswer[]; loggedIn?: FakeAnswer[] };
  /** required when the provider has configureWebhook(); `verify` inspects what the fake received */
  configureWebhook?: { url: string; verify(fake: FakeRecorder): void };
  /** every documented event type: request -> normalised events */
  webhooks: Array<{ name: string; request: WebhookInput; expect: ProviderEvent[] }>;
  /** forged or malformed webhooks: "payload" means WebhookPayloadError */
  rejectedWebhooks?: Array<{ name: string; request: WebhookInput; expect: "payload" | ExpectedError }>;
  errors: {
    /** the provider's 401 body (default `{}`) */
    unauthorized?: FakeAnswer;
    /** provider-specific error bodies and what they must become */
    specific: Array<{ name: string; call: ContractCall; answer: FakeAnswer; expect: ExpectedError }>;
  };
}

async function caught(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to fail, it succeeded");
}

function expectTypedError(err: unknown, want: ExpectedError): void {
  const Kind = want.retryable ? ProviderRetryableError : ProviderPermanentError;
  expect(err, `expected ${Kind.name} ${want.code}, got ${String(err)}`).toBeInstanceOf(Kind);
  const typed = err as ProviderRetryableError | ProviderPermanentError;
  expect(typed.code).toBe(want.code);
  if (want.delayMs !== undefined) expect((typed as ProviderRetryableError).delayMs).toBe(want.delayMs);
}

/** Runs the contract every provider must meet against the kit's fake. */
export function describeProviderContract<C>(kit: ProviderContractKit<C>): void {
  const { provider } = kit;
  describe(`provider contract: ${kit.title ?? provider.name}`, () => {
    const recorder = new Recorder();
    let server: FakeServer;
    let ctx: ProviderContext<C>;

    beforeAll(async () => {
      server = await serveFake(kit.createFake, recorder);
      ctx = providerContext(provider, kit.target(server.url));
    });
    afterAll(() => server?.close());
    beforeEach(() => recorder.reset());

    const call = (what: ContractCall): Promise<unknown> => {
      if (what === "sendText") {
        return provider.send(ctx, { to: kit.sendText.to, content: { type: "text", text: kit.sendText.text }, messageId: "msg_1" });
      }
      if (what === "sendFile") {
        const file = kit.sendFile?.[0];
        if (!file) throw new Error("the kit has no sendFile scenario");
        return provider.send(ctx, { to: file.to, content: file.file, messageId: "msg_2" });
      }
      if (what === "checkPhone") return provider.checkPhone(ctx, kit.checkPhone?.exists.phone ?? "79001234567");
      if (what === "qr") {
        if (!provider.qr) throw new Error("the provider has no qr()");
        return provider.qr(ctx);
      }
      return provider.status(ctx);
    };

    /** a scenario passes only if the fake saw a correct wire request */
    const wireTest = (name: string, run: () => Promise<void>) =>
      it(name, async () => {
        await run();
        expect(recorder.violations, "the fake found wire-format mistakes").toEqual([]);
      });

    describe("shape", () => {
      it("declares a name, a title, capabilities and sane pacing", () => {
        expect(provider.name).toMatch(/^[a-z0-9_-]+$/);
        expect(provider.title.length).toBeGreaterThan(0);
        expect(provider.capabilities.messengers.length).toBeGreaterThan(0);
        expect(provider.capabilities.messengers).toContain(ctx.messenger);
        expect(provider.pacing.minIntervalMs).toBeGreaterThanOrEqual(0);
        expect(provider.pacing.jitterMs).toBeGreaterThanOrEqual(0);
      });
      it("gives a scenario for every capability it claims", () => {
        if (provider.capabilities.fileByUrl) expect(kit.sendFile?.length ?? 0).toBeGreaterThan(0);
        if (provider.capabilities.checkPhone) expect(kit.checkPhone).toBeDefined();
        if (provider.qr) expect(kit.qr).toBeDefined();
        // the settings pages offer the phone-number login from the capability and call pairingCode()
        expect(Boolean(provider.capabilities.pairingLogin), "capabilities.pairingLogin iff pairingCode()").toBe(Boolean(provider.pairingCode));
        if (provider.configureWebhook) expect(kit.configureWebhook).toBeDefined();
        if (provider.capabilities.inbound === "webhook") expect(kit.webhooks.length).toBeGreaterThan(0);
      });
      it("credentials schema accepts the documented forms and refuses broken ones", () => {
        expect(provider.credentials.safeParse({}).success).toBe(false);
        for (const good of kit.credentials.valid) expect(provider.credentials.safeParse(good).success, JSON.stringify(good)).toBe(true);
        for (const bad of kit.credentials.invalid) expect(provider.credentials.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
      });
    });

    describe("calls", () => {
      wireTest("sends text", async () => {
        const result = await call("sendText");
        expect(result).toEqual({ providerMessageId: kit.sendText.providerMessageId });
        expect(recorder.requests.length).toBeGreaterThan(0);
      });

      it("the fake notices a send with its fields missing (so wrong fields fail the suite)", async () => {
        await call("sendText");
        const sent = recorder.requests.at(-1)!;
        expect(recorder.violations).toEqual([]);
        // GET-style APIs carry their fields in the query: replay without it; others with an empty JSON body
        const bodyless = sent.method === "GET";
        const url = `${server.url}${sent.path}${!bodyless && sent.query.size ? `?${sent.query}` : ""}`;
        // the recorded content-length belongs to the original body, not to the replayed one
        const headers = new Headers(sent.headers);
        headers.delete("content-length");
        await fetch(url, { method: sent.method, headers, ...(bodyless ? {} : { body: "{}" }) });
        expect(recorder.violations.length).toBeGreaterThan(0);
      });

      it("wrong credentials are refused by the fake and become invalid_credentials", async () => {
        const wrong = providerContext(provider, { ...kit.target(server.url), credentials: kit.withWrongSecret(kit.target(server.url).credentials) });
        const err = await caught(() =>
          provider.send(wrong, { to: kit.sendText.to, content: { type: "text", text: kit.sendText.text }, messageId: "msg_3" }),
        );
        expectTypedError(err, { retryable: false, code: "invalid_credentials" });
        expect(recorder.violations.length, "the fake should have flagged the wrong secret").toBeGreaterThan(0);
      });

      for (const file of kit.sendFile ?? []) {
        wireTest(`sends a file by URL: ${file.name}`, async () => {
          const result = await provider.send(ctx, { to: file.to, content: file.file, messageId: "msg_2" });
          expect(result).toEqual({ providerMessageId: file.providerMessageId });
        });
      }

      if (kit.checkPhone) {
        const scenario = kit.checkPhone;
        wireTest("checkPhone: a number with the messenger exists", async () => {
          const result = await provider.checkPhone(ctx, scenario.exists.phone);
          expect(result.exists).toBe(true);
          if (scenario.exists.chatId !== undefined) expect(result.chatId).toBe(scenario.exists.chatId);
        });
        wireTest("checkPhone: a number without the messenger does not", async () => {
          const result = await provider.checkPhone(ctx, scenario.missing.phone);
          expect(result.exists).toBe(false);
        });
      } else {
        it("checkPhone without the capability fails as unsupported", async () => {
          expect(provider.capabilities.checkPhone).toBe(false);
          expectTypedError(await caught(() => provider.checkPhone(ctx, "79001234567")), { retryable: false, code: "unsupported" });
        });
      }

      for (const scenario of kit.status) {
        wireTest(`status: ${scenario.name}`, async () => {
          if (scenario.answer) recorder.answerNext(scenario.answer);
          const result = await provider.status(ctx);
          expect(result.state).toBe(scenario.expect.state);
          if (scenario.expect.detail !== undefined) expect(result.detail).toBe(scenario.expect.detail);
        });
      }

      if (kit.qr) {
        const scenario = kit.qr;
        wireTest("qr: returns a data URL", async () => {
          for (const answer of scenario.prepare ?? []) recorder.answerNext(answer);
          const result = await call("qr");
          expect(result).not.toBeNull();
          expect((result as { dataUrl: string }).dataUrl.startsWith(scenario.dataUrlPrefix)).toBe(true);
          expect((result as { dataUrl: string }).dataUrl.length).toBeGreaterThan(scenario.dataUrlPrefix.length);
        });
        if (scenario.loggedIn) {
          const answers = scenario.loggedIn;
          wireTest("qr: null when the channel is already logged in", async () => {
            for (const answer of answers) recorder.answerNext(answer);
            expect(await call("qr")).toBeNull();
          });
        }
      }

      if (kit.configureWebhook && provider.configureWebhook) {
        const scenario = kit.configureWebhook;
        const configure = provider.configureWebhook.bind(provider);
        wireTest("configureWebhook points the provider at our receiver", async () => {
          await configure(ctx, scenario.url);
          expect(recorder.requests.length).toBeGreaterThan(0);
          scenario.verify(recorder);
        });
      }
    });

    describe("webhooks", () => {
      for (const scenario of kit.webhooks) {
        it(`parses ${scenario.name}`, async () => {
          expect(await provider.parseWebhook(webhookRequest(scenario.request), ctx)).toEqual(scenario.expect);
        });
        it(`${scenario.name}: a redelivery gives the same event ids`, async () => {
          const first = await provider.parseWebhook(webhookRequest(scenario.request), ctx);
          const again = await provider.parseWebhook(webhookRequest(scenario.request), ctx);
          expect(again.map((e) => e.eventId)).toEqual(first.map((e) => e.eventId));
          expect(new Set(first.map((e) => e.eventId)).size).toBe(first.length);
        });
      }
      const first = kit.webhooks[0];
      if (first) {
        it("a body that is not JSON is a WebhookPayloadError", async () => {
          const err = await caught(() => provider.parseWebhook(webhookRequest({ ...first.request, body: "{not json" }), ctx));
          expect(err).toBeInstanceOf(WebhookPayloadError);
        });
      }
      for (const scenario of kit.rejectedWebhooks ?? []) {
        it(`rejects ${scenario.name}`, async () => {
          const err = await caught(() => provider.parseWebhook(webhookRequest(scenario.request), ctx));
          if (scenario.expect === "payload") expect(err).toBeInstanceOf(WebhookPayloadError);
          else expectTypedError(err, scenario.expect);
        });
      }
    });

    describe("error mapping", () => {
      wireTest("401 -> permanent invalid_credentials", async () => {
        recorder.answerNext(kit.errors.unauthorized ?? { status: 401, body: {} });
        expectTypedError(await caught(() => call("sendText")), { retryable: false, code: "invalid_credentials" });
      });
      wireTest("429 with Retry-After -> retryable rate_limited with the delay", async () => {
        recorder.answerNext({ status: 429, body: {}, headers: { "retry-after": "7" } });
        expectTypedError(await caught(() => call("sendText")), { retryable: true, code: "rate_limited", delayMs: 7000 });
      });
      wireTest("5xx -> retryable server_error", async () => {
        recorder.answerNext({ status: 502, body: "<html>Bad Gateway</html>", headers: { "content-type": "text/html" } });
        expectTypedError(await caught(() => call("sendText")), { retryable: true, code: "server_error" });
      });
      wireTest("a 2xx answer in an unknown shape -> permanent bad_response (no duplicate send)", async () => {
        recorder.answerNext({ status: 200, body: { surprise: true } });
        expectTypedError(await caught(() => call("sendText")), { retryable: false, code: "bad_response" });
      });
      for (const scenario of kit.errors.specific) {
        wireTest(`${scenario.name} -> ${scenario.expect.retryable ? "retryable" : "permanent"} ${scenario.expect.code}`, async () => {
          recorder.answerNext(scenario.answer);
          expectTypedError(await caught(() => call(scenario.call)), scenario.expect);
        });
      }
      it("network failure -> retryable network", async () => {
        const gone = await startFake(new Hono());
        await gone.close();
        const offline = providerContext(provider, kit.target(gone.url));
        const err = await caught(() =>
          provider.send(offline, { to: kit.sendText.to, content: { type: "text", text: kit.sendText.text }, messageId: "msg_4" }),
        );
        expectTypedError(err, { retryable: true, code: "network" });
      });
    });
  });
}
