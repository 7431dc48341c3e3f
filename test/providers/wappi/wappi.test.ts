import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import incomingMessage from "../../../app/providers/wappi/fixtures/webhook-incoming-message.json";
import seedIncoming from "../../../app/providers/wappi/fixtures/webhook-incoming-message-seed.json";
import { wappi } from "../../../app/providers/wappi/index.js";
import { ProviderPermanentError, type Messenger } from "../../../app/providers/types.js";
import type { FakeServer } from "../../support/fake-server.js";
import { providerContext, Recorder, serveFake, webhookRequest } from "../provider-fake.js";
import { createWappiFake, WAPPI_PROFILE, WAPPI_TOKEN } from "./fake.js";

const item = incomingMessage.messages[0]!;
const body = (...items: object[]) => ({ body: { messages: items } });

describe("wappi", () => {
  const recorder = new Recorder();
  const servers: Partial<Record<Messenger, FakeServer>> = {};
  const ctxFor = (messenger: Messenger, extra: Record<string, unknown> = {}) =>
    providerContext(wappi, {
      credentials: { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, messenger, apiUrl: servers[messenger]!.url, ...extra },
      messenger,
    });

  beforeAll(async () => {
    servers.whatsapp = await serveFake((fake) => createWappiFake(fake, "whatsapp"), recorder);
    servers.telegram = await serveFake((fake) => createWappiFake(fake, "telegram"), recorder);
  });
  afterAll(async () => {
    await servers.whatsapp?.close();
    await servers.telegram?.close();
  });
  beforeEach(() => recorder.reset());

  describe("calls", () => {
    it("sends text as body + recipient with the raw token and profile_id", async () => {
      await wappi.send(ctxFor("whatsapp"), { to: { phone: "79115554444" }, content: { type: "text", text: "Привет" }, messageId: "m1" });
      const [req] = recorder.requests;
      expect(req?.path).toBe("/api/sync/message/send");
      expect(req?.query.get("profile_id")).toBe(WAPPI_PROFILE);
      expect(req?.headers.get("authorization")).toBe(WAPPI_TOKEN);
      expect(JSON.parse(req!.body)).toEqual({ body: "Привет", recipient: "79115554444" });
      expect(recorder.violations).toEqual([]);
    });

    it("takes the API host from config.WAPPI_API_URL when the credentials have none", async () => {
      const ctx = providerContext(wappi, {
        credentials: { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE },
        messenger: "whatsapp",
        config: { WAPPI_API_URL: servers.whatsapp!.url },
      });
      const result = await wappi.send(ctx, { to: { phone: "79115554444" }, content: { type: "text", text: "x" }, messageId: "m1" });
      expect(result.providerMessageId).toBe("3EB0128AE55B5D222DD0");
      expect(recorder.requests[0]?.path).toBe("/api/sync/message/send");
    });

    it("sends a file by URL with file_name and caption", async () => {
      const content = { type: "file" as const, url: "https://files.example.com/a.pdf", name: "a.pdf", caption: "Счёт" };
      await wappi.send(ctxFor("whatsapp"), { to: { phone: "79115554444" }, content, messageId: "m2" });
      expect(JSON.parse(recorder.requests[0]!.body)).toEqual({ recipient: "79115554444", url: "https://files.example.com/a.pdf", file_name: "a.pdf", caption: "Счёт" });
      expect(recorder.violations).toEqual([]);
    });

    it("Telegram profiles go through /tapi and prefer the chat id; WhatsApp prefers the phone", async () => {
      const to = { phone: "79991112233", chatId: "5012345678" };
      await wappi.send(ctxFor("telegram"), { to, content: { type: "text", text: "a" }, messageId: "m3" });
      await wappi.send(ctxFor("whatsapp"), { to, content: { type: "text", text: "b" }, messageId: "m4" });
      expect(recorder.requests.map((r) => [r.path, JSON.parse(r.body).recipient])).toEqual([
        ["/tapi/sync/message/send", "5012345678"],
        ["/api/sync/message/send", "79991112233"],
      ]);
    });

    it("refuses a peer with neither phone nor chat id before calling Wappi", async () => {
      const err = await wappi.send(ctxFor("whatsapp"), { to: {}, content: { type: "text", text: "x" }, messageId: "m5" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderPermanentError);
      expect((err as ProviderPermanentError).code).toBe("bad_number");
      expect(recorder.requests).toEqual([]);
    });

    it("Telegram QR comes from /tapi/sync/auth/qr after a not-authorized status", async () => {
      recorder.answerNext({ status: 200, body: { authorized: false, status: "done" } });
      const qr = await wappi.qr!(ctxFor("telegram"));
      expect(qr?.dataUrl).toMatch(/^data:image\/png;base64,iVBOR/);
      expect(recorder.requests.map((r) => r.path)).toEqual(["/tapi/sync/get/status", "/tapi/sync/auth/qr"]);
    });

    it("keeps a QR that already is a data URL [U: qrCode format]", async () => {
      recorder.answerNext({ status: 200, body: { authorized: false, status: "done" } });
      recorder.answerNext({ status: 200, body: { status: "done", qrCode: "data:image/png;base64,AAAA" } });
      expect(await wappi.qr!(ctxFor("whatsapp"))).toEqual({ dataUrl: "data:image/png;base64,AAAA" });
    });

    it("a contact/check answer without on_<messenger> is a bad_response [U: Telegram field]", async () => {
      recorder.answerNext({ status: 200, body: { status: "done", on_whatsapp: true } });
      const err = await wappi.checkPhone(ctxFor("telegram"), "79115576366").catch((e: unknown) => e);
      expect((err as ProviderPermanentError).code).toBe("bad_response");
    });
  });

  describe("webhooks", () => {
    const parse = (input: { body: object }, messenger: Messenger = "whatsapp") => wappi.parseWebhook(webhookRequest(input), ctxFor(messenger));

    it("keeps group and hidden-number chats as chat ids", async () => {
      const events = await parse(
        body(
          { ...item, id: "G1", chatId: "120363043968066561@g.us", from: "79115576366@c.us" },
          { ...item, id: "L1", chatId: "204593846571234@lid", from: "204593846571234@lid" },
        ),
      );
      expect(events.map((e) => (e.type === "incoming" ? e.peer : null))).toEqual([
        { chatId: "120363043968066561@g.us", name: "Иван" },
        { chatId: "204593846571234@lid", name: "Иван" },
      ]);
    });

    it("the seed's own example (no chatId, no time) is an incoming message from `from`, dated by its ISO timestamp", async () => {
      expect(await parse({ body: seedIncoming })).toEqual([
        {
          type: "incoming",
          eventId: "wappi:6qw54f68-71eq:incoming_message:3A945DD9CDD3016BE11B",
          providerMessageId: "3A945DD9CDD3016BE11B",
          peer: { phone: "79115576366", name: "Иван" },
          text: "Привет, как дела?",
          files: [],
          at: new Date("2024-10-21T11:27:57+03:00"),
        },
      ]);
    });

    it("a message naming no chat at all (no chatId, from, to) is malformed, not an event without a peer", async () => {
      const { chatId: _c, from: _f, to: _t, ...chatless } = item;
      await expect(parse(body(chatless))).rejects.toThrow(/names no chat/);
    });

    it("reads the ISO timestamp when `time` is missing", async () => {
      const { time: _time, ...withoutTime } = item;
      const [event] = await parse(body(withoutTime));
      expect(event?.at).toEqual(new Date("2024-10-21T11:27:57+03:00"));
    });

    it("accepts `messages` as a single object for any type, and an empty array", async () => {
      expect(await parse({ body: { messages: item } })).toHaveLength(1);
      expect(await parse({ body: { messages: [] } })).toEqual([]);
    });

    it("authorization_status without a time gets a stable id from its content [U: shape]", async () => {
      const hook = body({ wh_type: "authorization_status", profile_id: WAPPI_PROFILE, authorized: true });
      const first = await parse(hook);
      const again = await parse(hook);
      expect(first[0]).toMatchObject({ type: "channel_state", state: "connected" });
      expect(first[0]?.eventId).toBe(again[0]?.eventId);
      expect(first[0]?.eventId).toMatch(/^wappi:6qw54f68-71eq:authorization_status:[0-9a-f]{32}:connected$/);
    });

    it("authorization_status with only a status word [U: shape]", async () => {
      const [event] = await parse(body({ wh_type: "authorization_status", profile_id: WAPPI_PROFILE, status: "online", time: 1 }));
      expect(event).toMatchObject({ type: "channel_state", state: "connected", detail: "online" });
    });

    it("skips a delivery_status word it does not know rather than guessing", async () => {
      const events = await parse(body({ wh_type: "delivery_status", profile_id: WAPPI_PROFILE, id: "X", status: "pending", time: 1 }));
      expect(events).toEqual([]);
    });

    it("a media item without file_link keeps its caption and no file [U: base64 bodies]", async () => {
      const [event] = await parse(body({ ...item, id: "M1", type: "image", body: "/9j/4AAQSkZJRg==", caption: "фото" }));
      expect(event).toMatchObject({ type: "incoming", text: "фото", files: [] });
    });
  });
});
