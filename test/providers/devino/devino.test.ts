import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { devino } from "../../../app/providers/devino/index.js";
import sendRequest from "../../../app/providers/devino/fixtures/send-request.json";
import type { DevinoCredentials } from "../../../app/providers/devino/schema.js";
import type { ProviderContext, SendRequest } from "../../../app/providers/types.js";
import type { FakeServer } from "../../support/fake-server.js";
import { providerContext, Recorder, serveFake, webhookRequest } from "../provider-fake.js";
import { createDevinoFake, DEVINO_FROM, DEVINO_KEY } from "./fake.js";

const CALLBACK = "https://bridge.example.com/hooks/devino/secret";

describe("devino provider", () => {
  const recorder = new Recorder();
  const sent: unknown[] = [];
  let server: FakeServer;
  let ctx: ProviderContext<DevinoCredentials>;

  beforeAll(async () => {
    server = await serveFake((fake) => createDevinoFake(fake, sent), recorder);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    recorder.reset();
    sent.length = 0;
    ctx = providerContext(devino, {
      credentials: { apiKey: DEVINO_KEY, from: DEVINO_FROM, apiUrl: server.url, callbackUrl: CALLBACK, templateLanguage: "ru" },
      messenger: "whatsapp",
    });
  });

  const send = (req: Partial<SendRequest>) =>
    devino.send(ctx, { to: { phone: "+7 903 456-78-90" }, content: { type: "text", text: "hi" }, messageId: "msg-1", ...req });

  it("sends one message per call in the batch format, with our callback URL and id", async () => {
    const result = await send({});
    expect(result).toEqual({ providerMessageId: "3482512350952730368" });
    expect(recorder.requests).toHaveLength(1);
    expect(recorder.requests[0]!.headers.get("authorization")).toBe(`Key ${DEVINO_KEY}`);
    expect(sent).toEqual([{ from: DEVINO_FROM, to: "79034567890", text: "hi", callbackData: "msg-1", callbackUrl: CALLBACK }]);
    expect(recorder.violations).toEqual([]);
  });

  it("sends a template instead of the content when the request carries one (24-hour rule)", async () => {
    const seedTemplate = sendRequest.body.messages[1]!;
    await send({ template: { id: seedTemplate.templateId!, params: seedTemplate.templateParams! } });
    expect(sent).toEqual([
      {
        from: DEVINO_FROM,
        to: "79034567890",
        callbackData: "msg-1",
        callbackUrl: CALLBACK,
        templateId: "account_activated",
        templateParams: { "1": "+7(495) 646 00 54", "2": "https://devino.online" },
        languageCode: "ru",
      },
    ]);
    expect(recorder.violations).toEqual([]);
  });

  it("template language: the request's wins over the channel default; values lose line breaks and tab runs", async () => {
    await send({ template: { id: "order_ready", language: "en", params: { "1": "line one\nline two", "2": "a\t\tb     c" } } });
    expect(sent[0]).toMatchObject({ templateId: "order_ready", languageCode: "en", templateParams: { "1": "line one line two", "2": "a b   c" } });
    expect(sent[0]).not.toHaveProperty("text");
    expect(recorder.violations).toEqual([]);
  });

  it("a file gets contentUrl, a name from the URL and a MIME type guessed from the extension", async () => {
    await send({ content: { type: "file", url: "https://cdn.example.com/v/clip.MP4" } });
    expect(sent[0]).toMatchObject({ contentUrl: "https://cdn.example.com/v/clip.MP4", contentName: "clip.MP4", contentType: "video/mp4" });
  });

  it("a peer without a phone is a bad_number before any call", async () => {
    await expect(send({ to: { chatId: "123" } })).rejects.toMatchObject({ code: "bad_number" });
    expect(recorder.requests).toHaveLength(0);
  });

  it("status probes with an empty batch, which sends nothing", async () => {
    expect(await devino.status(ctx)).toEqual({ state: "connected" });
    expect(JSON.parse(recorder.requests[0]!.body)).toEqual({ messages: [] });
    expect(sent).toEqual([]);
  });

  describe("webhooks", () => {
    const parse = (body: string) => devino.parseWebhook(webhookRequest({ body }), ctx);

    it("keeps every digit of a 64-bit messageId sent as a JSON number", async () => {
      const events = await parse('[{"messageId":3482512350952730368,"ts":1769273520000,"status":"READ","errorCode":0}]');
      expect(events).toEqual([
        { type: "status", eventId: "status:3482512350952730368:read", providerMessageId: "3482512350952730368", status: "read", at: new Date(1769273520000) },
      ]);
    });

    it("error 2312 says a template is needed outside the 24-hour window", async () => {
      const [event] = await parse('[{"messageId":11,"ts":1,"status":"UNDELIVERED","errorCode":2312}]');
      expect(event).toMatchObject({ status: "failed", reason: "template_required (2312): outside the 24-hour window: a template is required", code: "template_required" });
    });

    it("a batch of callbacks becomes one event each; in-flight statuses [U] give none", async () => {
      const events = await parse(
        '[{"messageId":1,"ts":5,"status":"SENT","errorCode":0},{"messageId":2,"ts":6,"status":"ENQUEUED","errorCode":0},{"messageId":3,"ts":7,"status":"DELIVERED","errorCode":0}]',
      );
      expect(events.map((e) => e.eventId)).toEqual(["status:1:sent", "status:3:delivered"]);
    });

    it("media on Devino's own host get the API key for download; other hosts never do [U]", async () => {
      const own = `${server.url}/media/1.jpg`;
      const events = await parse(
        JSON.stringify([
          { incomingMessageId: 1, from: "79034567890", ts: 1, contentUrl: own, contentType: "image/jpeg" },
          { incomingMessageId: 2, from: "79034567890", ts: 1, contentUrl: "https://elsewhere.example.com/2.jpg" },
        ]),
      );
      const files = events.flatMap((e) => (e.type === "incoming" ? e.files : []));
      expect(files[0]).toEqual({ url: own, mime: "image/jpeg", headers: { authorization: `Key ${DEVINO_KEY}` } });
      expect(files[1]).toEqual({ url: "https://elsewhere.example.com/2.jpg" });
    });
  });
});
