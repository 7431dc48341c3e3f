import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostMessageFile } from "../../../app/core/media.js";
import { messages } from "../../../app/db/schema.js";
import type { AppDeps } from "../../../app/deps.js";
import connOpen from "../../../app/providers/evolution/fixtures/webhook-connection-update-open.json";
import upImage from "../../../app/providers/evolution/fixtures/webhook-messages-upsert-image.json";
import upText from "../../../app/providers/evolution/fixtures/webhook-messages-upsert-text.json";
import { evolution } from "../../../app/providers/evolution/index.js";
import { channelStateOf } from "../../../app/providers/evolution/webhook.js";
import { type Peer, type ProviderEvent, ProviderPermanentError, type SendProgress } from "../../../app/providers/types.js";
import { seedChannel } from "../../support/channels.js";
import { openTestDb, type TestDb } from "../../support/db.js";
import { testDeps } from "../../support/deps.js";
import { webhookRequest } from "../provider-fake.js";
import { EVOLUTION_INSTANCE, EVOLUTION_KEY, EVOLUTION_KNOWN_PHONE, EVOLUTION_MEDIA_KEY_ID } from "./fake.js";
import { evolutionHarness, failure } from "./harness.js";

describe("evolution", () => {
  const { recorder, world, credentials, ctx: ctxWith, calls, bodies, clean } = evolutionHarness();

  describe("webhooks", () => {
    const ctx = () => ctxWith();
    it("refuses an event of another instance on the same server, whatever the path secret", async () => {
      const err = await failure(evolution.parseWebhook(webhookRequest({ body: { ...upText, instance: "other-shop" } }), ctx()));
      expect(err).toBeInstanceOf(ProviderPermanentError);
      expect(err.code).toBe("invalid_credentials");
    });

    it("instance names are compared exactly (Evolution's names are case-sensitive path segments)", async () => {
      const err = await failure(evolution.parseWebhook(webhookRequest({ body: { ...upText, instance: EVOLUTION_INSTANCE.toUpperCase() } }), ctx()));
      expect(err.code).toBe("invalid_credentials");
    });

    it("a redelivered message gives the same event id (dedup by key.id), another message another one", async () => {
      const [a] = await evolution.parseWebhook(webhookRequest({ body: upText }), ctx());
      const [b] = await evolution.parseWebhook(webhookRequest({ body: { ...upText, date_time: "2026-11-26T12:10:00.000Z" } }), ctx());
      const [c] = await evolution.parseWebhook(webhookRequest({ body: { ...upText, data: { ...upText.data, key: { ...upText.data.key, id: "3EB0FFFFFFFF0001" } } } }), ctx());
      expect(a?.eventId).toBe(b?.eventId);
      expect(c?.eventId).not.toBe(a?.eventId);
    });

    it("connection.update without date_time still gives a stable id", async () => {
      const { date_time: _, ...body } = connOpen;
      const first = await evolution.parseWebhook(webhookRequest({ body }), ctx());
      const again = await evolution.parseWebhook(webhookRequest({ body }), ctx());
      expect(first[0]?.eventId).toBe(again[0]?.eventId);
      expect(first[0]).toMatchObject({ type: "channel_state", state: "connected" });
    });

    it("a group message is the group's chat; the member's pushName is not its name", async () => {
      const body = { ...upText, data: { ...upText.data, key: { ...upText.data.key, remoteJid: "120363043968066561@g.us", participant: "79001234567@s.whatsapp.net" } } };
      const [event] = await evolution.parseWebhook(webhookRequest({ body }), ctx());
      expect(event).toMatchObject({ type: "incoming", peer: { chatId: "120363043968066561@g.us" } });
      expect((event as { peer: { name?: string } }).peer.name).toBeUndefined();
    });

    it("maps every connection state", () => {
      expect(channelStateOf("open")).toBe("connected");
      expect(channelStateOf("connecting")).toBe("connecting");
      expect(channelStateOf("close", 401)).toBe("qr_required");
      expect(channelStateOf("close", 428)).toBe("qr_required");
      expect(channelStateOf("close", 403)).toBe("banned");
      expect(channelStateOf("refused")).toBe("qr_required");
      expect(channelStateOf(undefined)).toBe("unknown");
    });

    it("a status with an unknown or PENDING/DELETED word gives no event", async () => {
      for (const status of ["PENDING", "DELETED", "SOMETHING"]) {
        const body = { event: "messages.update", instance: EVOLUTION_INSTANCE, date_time: "2026-11-26T12:00:00.000Z", data: { keyId: "BAE5", fromMe: true, status } };
        expect(await evolution.parseWebhook(webhookRequest({ body }), ctx())).toEqual([]);
      }
    });
  });

  describe("media", () => {
    it("resolveMedia asks getBase64FromMediaMessage by key id and gives a data: URL with the name and type", async () => {
      const [event] = (await evolution.parseWebhook(webhookRequest({ body: upImage }), ctxWith())) as Array<ProviderEvent & { type: "incoming" }>;
      const ref = event!.files[0]!.url;
      expect(ref).toBe(`media:${EVOLUTION_MEDIA_KEY_ID}`);
      const resolved = await evolution.resolveMedia!(ctxWith(), ref.slice("media:".length));
      expect(resolved).toEqual({ url: "data:image/jpeg;base64,aGVsbG8h", name: "3EB0C5D6E7F8A9B0.jpeg", mime: "image/jpeg" });
      expect(calls()).toEqual([`POST /chat/getBase64FromMediaMessage/${EVOLUTION_INSTANCE}`]);
      expect(bodies()[0]).toEqual({ message: { key: { id: EVOLUTION_MEDIA_KEY_ID } }, convertToMp4: false });
      clean();
    });

    it("a message the server no longer has is a permanent failure naming the server setting", async () => {
      const err = await failure(evolution.resolveMedia!(ctxWith(), "3EB0000000000000"));
      expect(err).toBeInstanceOf(ProviderPermanentError);
      expect(err.message).toMatch(/DATABASE_SAVE_DATA_NEW_MESSAGE/);
    });

    it("a reference that is not a message id is refused before any call", async () => {
      const err = await failure(evolution.resolveMedia!(ctxWith(), "../../instance/delete"));
      expect(err.code).toBe("bad_request");
      expect(recorder.requests).toEqual([]);
    });

    describe("re-hosting through the app's media path", () => {
      let t: TestDb;
      let deps: AppDeps;
      beforeAll(async () => {
        t = await openTestDb("pglite");
        deps = await testDeps(t.db);
      });
      afterAll(() => t?.close());

      it("the data: URL is stored as our own file like any download", async () => {
        const { channel } = await seedChannel(deps, "evolution", credentials());
        const [row] = await t.db
          .insert(messages)
          .values({ channelId: channel.id, direction: "in", origin: "provider", peer: "79001234567", file: { url: `media:${EVOLUTION_MEDIA_KEY_ID}` }, dedupKey: `evo:${crypto.randomUUID()}` })
          .returning();
        const hosted = await hostMessageFile(deps, channel, row!.id, row!.file!);
        expect(hosted).toMatchObject({ name: "3EB0C5D6E7F8A9B0.jpeg", mime: "image/jpeg" });
        const [stored] = await t.db.select().from(messages).where(eq(messages.id, row!.id));
        expect(stored!.file).toMatchObject({ size: 6, mime: "image/jpeg" });
      });
    });
  });

  describe("send", () => {
    const send = (content: Parameters<typeof evolution.send>[1]["content"], progress?: SendProgress, to: Peer = { phone: EVOLUTION_KNOWN_PHONE }) =>
      evolution.send(ctxWith(), { to, content, messageId: "m1", ...(progress ? { progress } : {}) });

    it("text: number + text, the apikey header, the result is key.id", async () => {
      expect(await send({ type: "text", text: "Hi" })).toEqual({ providerMessageId: "BAE594145F4C59B4" });
      expect(calls()).toEqual([`POST /message/sendText/${EVOLUTION_INSTANCE}`]);
      expect(bodies()[0]).toEqual({ number: EVOLUTION_KNOWN_PHONE, text: "Hi" });
      expect(recorder.requests[0]!.headers.get("apikey")).toBe(EVOLUTION_KEY);
      clean();
    });

    it("document: mediatype, media URL, fileName, mimetype and caption", async () => {
      await send({ type: "file", url: "https://files.example.com/x?id=1", name: "contract.pdf", mime: "application/pdf", caption: "Sign it" });
      expect(bodies()[0]).toEqual({
        number: EVOLUTION_KNOWN_PHONE,
        mediatype: "document",
        media: "https://files.example.com/x?id=1",
        fileName: "contract.pdf",
        mimetype: "application/pdf",
        caption: "Sign it",
      });
      clean();
    });

    it("an mp3 goes as an audio file, its caption as a text after it; progress keeps a retry from repeating the audio", async () => {
      const recorded: Array<[number, string]> = [];
      const progress: SendProgress = { parts: [], record: async (i, id) => void recorded.push([i, id]) };
      const result = await send({ type: "file", url: "https://files.example.com/song.mp3", caption: "Listen" }, progress);
      expect(calls()).toEqual([`POST /message/sendMedia/${EVOLUTION_INSTANCE}`, `POST /message/sendText/${EVOLUTION_INSTANCE}`]);
      expect(bodies()[0]).toEqual({ number: EVOLUTION_KNOWN_PHONE, mediatype: "audio", media: "https://files.example.com/song.mp3", fileName: "song.mp3", mimetype: "audio/mpeg" });
      expect(result).toEqual({ providerMessageId: "BAE594145F4C59B4" });
      expect(recorded).toEqual([[0, "BAE5A1C2D3E4F506"], [1, "BAE594145F4C59B4"]]);

      recorder.reset();
      await send({ type: "file", url: "https://files.example.com/song.mp3", caption: "Listen" }, { parts: ["BAE5A1C2D3E4F506"], record: async () => {} });
      expect(calls()).toEqual([`POST /message/sendText/${EVOLUTION_INSTANCE}`]);
      clean();
    });

    it("an Ogg file goes as a voice note through sendWhatsAppAudio", async () => {
      await send({ type: "file", url: "https://files.example.com/v.ogg" });
      expect(calls()).toEqual([`POST /message/sendWhatsAppAudio/${EVOLUTION_INSTANCE}`]);
      expect(bodies()[0]).toEqual({ number: EVOLUTION_KNOWN_PHONE, audio: "https://files.example.com/v.ogg" });
      clean();
    });

    it("a number without WhatsApp is no_messenger, from the server's own check before sending", async () => {
      const err = await failure(send({ type: "text", text: "Hi" }, undefined, { phone: "79000000000" }));
      expect(err).toBeInstanceOf(ProviderPermanentError);
      expect(err.code).toBe("no_messenger");
    });

    it("a recipient that is neither a phone nor a JID is bad_number before any call", async () => {
      const err = await failure(send({ type: "text", text: "Hi" }, undefined, { chatId: "not a jid" }));
      expect(err.code).toBe("bad_number");
      expect(recorder.requests).toEqual([]);
    });

    it("an instance deleted on the server is not_connected", async () => {
      world.instances.clear();
      const err = await failure(send({ type: "text", text: "Hi" }));
      expect(err.code).toBe("not_connected");
    });
  });

  describe("webhook setup and number check", () => {
    it("configureWebhook fails when the server did not keep our URL", async () => {
      recorder.answerNext({ status: 201, body: { url: "https://elsewhere.example.com/", enabled: true, events: [] } });
      const err = await failure(evolution.configureWebhook!(ctxWith(), "https://chatbridge.example.com/hooks/evolution/s3cret"));
      expect(err.code).toBe("rejected");
    });

    it("configureWebhook on a missing instance is not_connected", async () => {
      world.instances.clear();
      const err = await failure(evolution.configureWebhook!(ctxWith(), "https://chatbridge.example.com/hooks/evolution/s3cret"));
      expect(err.code).toBe("not_connected");
    });

    it("checkPhone sends numbers as strings and refuses what is not a phone", async () => {
      await evolution.checkPhone(ctxWith(), EVOLUTION_KNOWN_PHONE);
      expect(bodies()[0]).toEqual({ numbers: [EVOLUTION_KNOWN_PHONE] });
      expect((await failure(evolution.checkPhone(ctxWith(), "abc"))).code).toBe("bad_number");
    });

    it("checkPhone: an empty answer is bad_response", async () => {
      recorder.answerNext({ status: 200, body: [] });
      expect((await failure(evolution.checkPhone(ctxWith(), EVOLUTION_KNOWN_PHONE))).code).toBe("bad_response");
    });
  });
});
