import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import quota from "../../../app/providers/greenapi/fixtures/error-466-quota.json";
import incomingContact from "../../../app/providers/greenapi/fixtures/webhook-incoming-contact.json";
import incomingImage from "../../../app/providers/greenapi/fixtures/webhook-incoming-image.json";
import incomingText from "../../../app/providers/greenapi/fixtures/webhook-incoming-text.json";
import statusNoChatId from "../../../app/providers/greenapi/fixtures/webhook-outgoing-message-status-failed-no-chat-id.json";
import { greenapi } from "../../../app/providers/greenapi/index.js";
import { greenApiWebhookToken } from "../../../app/providers/greenapi/webhook.js";
import { ProviderPermanentError, providerIdEndingWith } from "../../../app/providers/types.js";
import type { FakeServer } from "../../support/fake-server.js";
import { providerContext, Recorder, serveFake, webhookRequest } from "../provider-fake.js";
import { createGreenApiFake, GREENAPI_INSTANCE, GREENAPI_TOKEN } from "./fake.js";

describe("greenapi", () => {
  const recorder = new Recorder();
  let server: FakeServer;
  const ctxWith = (extra: Record<string, unknown> = {}) =>
    providerContext(greenapi, {
      credentials: { idInstance: GREENAPI_INSTANCE, apiTokenInstance: GREENAPI_TOKEN, apiUrl: server.url, ...extra },
      messenger: "whatsapp",
    });
  const failure = (p: Promise<unknown>) => p.then(() => Promise.reject(new Error("expected a failure")), (e: unknown) => e as ProviderPermanentError);

  beforeAll(async () => {
    server = await serveFake(createGreenApiFake, recorder);
  });
  afterAll(() => server.close());
  beforeEach(() => recorder.reset());

  describe("calls", () => {
    it("puts the token in the path, not in a header, and sends chatId + message", async () => {
      await greenapi.send(ctxWith(), { to: { phone: "79001234568" }, content: { type: "text", text: "Hi" }, messageId: "m1" });
      const [req] = recorder.requests;
      expect(req?.path).toBe(`/waInstance${GREENAPI_INSTANCE}/sendMessage/${GREENAPI_TOKEN}`);
      expect(req?.headers.get("authorization")).toBeNull();
      expect(JSON.parse(req!.body)).toEqual({ chatId: "79001234568@c.us", message: "Hi" });
    });

    it("takes the API host from config.GREENAPI_API_URL when the credentials have none", async () => {
      const ctx = providerContext(greenapi, {
        credentials: { idInstance: GREENAPI_INSTANCE, apiTokenInstance: GREENAPI_TOKEN },
        messenger: "whatsapp",
        config: { GREENAPI_API_URL: server.url },
      });
      expect((await greenapi.status(ctx)).state).toBe("connected");
      expect(recorder.requests[0]?.path).toBe(`/waInstance${GREENAPI_INSTANCE}/getStateInstance/${GREENAPI_TOKEN}`);
    });

    it("sends to a hidden-number (@lid) chat id as it is", async () => {
      const result = await greenapi.send(ctxWith(), { to: { chatId: "204593846571234@lid" }, content: { type: "text", text: "x" }, messageId: "m2" });
      expect(result.providerMessageId).toBe("204593846571234@lid_3EB0C767D097B7C7C030");
      expect(recorder.violations).toEqual([]);
    });

    it("checkWhatsapp gets phoneNumber as an integer and passes back a returned chatId", async () => {
      recorder.answerNext({ status: 200, body: { existsWhatsapp: true, chatId: "204593846571234@lid" } });
      expect(await greenapi.checkPhone(ctxWith(), "79001234568")).toEqual({ exists: true, chatId: "204593846571234@lid" });
      expect(JSON.parse(recorder.requests[0]!.body)).toEqual({ phoneNumber: 79001234568 });
    });

    it("refuses a malformed phone before calling Green-API", async () => {
      expect((await failure(greenapi.checkPhone(ctxWith(), "+7 (900)"))).code).toBe("bad_number");
      expect((await failure(greenapi.send(ctxWith(), { to: {}, content: { type: "text", text: "x" }, messageId: "m3" }))).code).toBe("bad_number");
      expect(recorder.requests).toEqual([]);
    });

    it("names the quota in the 466 error so the admin knows what ran out", async () => {
      recorder.answerNext({ status: 466, body: quota });
      const err = await failure(greenapi.send(ctxWith(), { to: { phone: "79001234568" }, content: { type: "text", text: "x" }, messageId: "m4" }));
      expect(err.code).toBe("rejected");
      expect(err.message).toContain("checkwhatsapp 100/100");
    });

    it("configureWebhook fails when Green-API does not save the settings", async () => {
      recorder.answerNext({ status: 200, body: { saveSettings: false } });
      expect((await failure(greenapi.configureWebhook!(ctxWith(), "https://chatbridge.example.com/hooks/x"))).code).toBe("rejected");
    });
  });

  describe("webhook token", () => {
    it("without a stored webhookUrlToken, configureWebhook sets a derived one that parseWebhook then accepts", async () => {
      const ctx = ctxWith();
      await greenapi.configureWebhook!(ctx, "https://chatbridge.example.com/hooks/greenapi/ch/secret");
      const sent = JSON.parse(recorder.requests[0]!.body).webhookUrlToken as string;
      expect(sent).toBe(await greenApiWebhookToken(ctx.credentials));
      expect(sent).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const events = await greenapi.parseWebhook(webhookRequest({ body: incomingText, headers: { authorization: `Bearer ${sent}` } }), ctx);
      expect(events).toHaveLength(1);
    });

    it("the derived token depends on the API token and is stable", async () => {
      const a = await greenApiWebhookToken(ctxWith().credentials);
      expect(await greenApiWebhookToken(ctxWith().credentials)).toBe(a);
      expect(await greenApiWebhookToken(ctxWith({ apiTokenInstance: "another-token" }).credentials)).not.toBe(a);
    });

    it("accepts the token with any scheme, or bare, as Green-API's SDK guard does", async () => {
      const ctx = ctxWith({ webhookUrlToken: "whk_0123456789abcdef" });
      for (const authorization of ["Bearer whk_0123456789abcdef", "Basic whk_0123456789abcdef", "whk_0123456789abcdef"]) {
        expect(await greenapi.parseWebhook(webhookRequest({ body: incomingText, headers: { authorization } }), ctx)).toHaveLength(1);
      }
    });
  });

  describe("webhook content", () => {
    const ctx = () => ctxWith({ webhookUrlToken: "whk_0123456789abcdef" });
    const parse = (body: object) => greenapi.parseWebhook(webhookRequest({ body, headers: { authorization: "Bearer whk_0123456789abcdef" } }), ctx());

    it("reads a vCard phone without waid from its TEL value [U: contactMessageData]", async () => {
      const vcard = "BEGIN:VCARD\nVERSION:3.0\nFN:Oleg\nitem1.TEL:+7 (901) 000-11-22\nEND:VCARD";
      const [event] = await parse({ ...incomingContact, messageData: { typeMessage: "contactMessage", contactMessageData: { displayName: "Oleg", vcard } } });
      expect(event).toMatchObject({ contact: { name: "Oleg", phones: ["79010001122"] } });
    });

    it("a file message whose media could not be fetched keeps its caption and no file", async () => {
      const data = { ...incomingImage.messageData.fileMessageData, downloadUrl: "" };
      const [event] = await parse({ ...incomingImage, messageData: { typeMessage: "imageMessage", fileMessageData: data } });
      expect(event).toMatchObject({ type: "incoming", text: "Contract page 1", files: [] });
    });

    it("group messages stay in the group chat with the chat's name", async () => {
      const senderData = { chatId: "120363043968066561@g.us", sender: "79001234568@c.us", chatName: "Sales", senderName: "Ivan" };
      const [event] = await parse({ ...incomingText, senderData });
      expect(event).toMatchObject({ peer: { chatId: "120363043968066561@g.us", name: "Sales" }, providerMessageId: "120363043968066561@g.us_F7AEC1B7086ECDC7E6E45923F5EDB825" });
    });

    it("reactions and polls have nothing to bridge", async () => {
      const reaction = { ...incomingText, messageData: { typeMessage: "reactionMessage", extendedTextMessageData: { text: "👍" } } };
      expect(await parse(reaction)).toEqual([]);
    });

    it("a status without chatId (English docs' example) is handled, named by idMessage alone, not quarantined", async () => {
      expect(await parse(statusNoChatId)).toEqual([
        {
          type: "status",
          eventId: `greenapi:1101000001:status:*:3EB0608D6A2901063D63:failed`,
          providerMessageId: providerIdEndingWith("_3EB0608D6A2901063D63"),
          status: "failed",
          reason: "failed: SWE004: 1000",
          at: new Date(1586700802 * 1000),
        },
      ]);
    });

    it("a status still needs idMessage and status: without them it is malformed", async () => {
      const { idMessage: _id, ...noId } = statusNoChatId;
      await expect(parse(noId)).rejects.toThrow(/idMessage/);
      const { status: _status, ...noStatus } = statusNoChatId;
      await expect(parse(noStatus)).rejects.toThrow(/status/);
    });

    it("statuses it does not know are skipped, not guessed", async () => {
      expect(await parse({ typeWebhook: "outgoingMessageStatus", instanceData: incomingText.instanceData, timestamp: 1, chatId: "79001234568@c.us", idMessage: "A", status: "pending" })).toEqual([]);
    });
  });
});
