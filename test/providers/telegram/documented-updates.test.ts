import { describe, expect, it } from "vitest";
import audio from "../../../app/providers/telegram/fixtures/update-guide-audio.json";
import callbackQuery from "../../../app/providers/telegram/fixtures/update-guide-callback-query.json";
import document from "../../../app/providers/telegram/fixtures/update-guide-document.json";
import edited from "../../../app/providers/telegram/fixtures/update-guide-edited.json";
import textNoType from "../../../app/providers/telegram/fixtures/update-guide-text-no-type.json";
import voice from "../../../app/providers/telegram/fixtures/update-guide-voice.json";
import { telegram } from "../../../app/providers/telegram/index.js";
import { SECRET_TOKEN_PURPOSE } from "../../../app/providers/telegram/webhook.js";
import { providerContext, webhookRequest } from "../provider-fake.js";
import { TELEGRAM_TOKEN } from "./fake.js";

// Telegram's own example updates (core.telegram.org/bots/webhooks "Testing your bot with updates")
describe("telegram: the Bot API guide's example updates", () => {
  const ctx = providerContext(telegram, { credentials: { botToken: TELEGRAM_TOKEN }, messenger: "telegram" });
  const parse = async (body: object) =>
    telegram.parseWebhook(webhookRequest({ body, headers: { "x-telegram-bot-api-secret-token": await ctx.channelSecret(SECRET_TOKEN_PURPOSE) } }), ctx);
  const at = new Date(1441645532 * 1000);

  it("a text without chat.type or from.is_bot is a private chat's message (positive id)", async () => {
    expect(await parse(textNoType)).toEqual([
      {
        type: "incoming",
        eventId: "update:10000",
        providerMessageId: "1111111:1365",
        peer: { chatId: "1111111", name: "Test Test Lastname", username: "Test" },
        text: "/start",
        files: [],
        at,
      },
    ]);
  });

  it("a chat without type and a negative id is a group's, skipped like other groups", async () => {
    const group = { ...textNoType, message: { ...textNoType.message, chat: { id: -1001234567890, title: "Sales" } } };
    expect(await parse(group)).toEqual([]);
  });

  it("files without file_unique_id are taken, named from the file id", async () => {
    const [v] = await parse(voice);
    expect(v).toMatchObject({ type: "incoming", files: [{ url: "media:AwADBAADbXXXXXXXXXXXGBdhD2l6_XX", name: "voice-XXXXXGBdhD2l6_XX.ogg", mime: "audio/ogg" }] });
    const [d] = await parse(document);
    expect(d).toMatchObject({ files: [{ url: "media:AwADBAADbXXXXXXXXXXXGBdhD2l6_XX", name: "Testfile.pdf", mime: "application/pdf" }] });
    const [a] = await parse(audio);
    expect(a).toMatchObject({ files: [{ url: "media:AwADBAADbXXXXXXXXXXXGBdhD2l6_XX", name: "audio-XXXXXGBdhD2l6_XX.mp3", mime: "audio/mpeg" }] });
  });

  it("the edited message is an edit of 1365 at edit_date", async () => {
    expect(await parse(edited)).toEqual([
      expect.objectContaining({ providerMessageId: "1111111:1365", text: "Edited text", edited: true, at: new Date(1441646600 * 1000) }),
    ]);
  });

  it("a callback query (not subscribed) gives no event and is not malformed", async () => {
    expect(await parse(callbackQuery)).toEqual([]);
  });

  it("a message still needs chat.id, message_id and date", async () => {
    const { message_id: _m, ...noId } = textNoType.message;
    await expect(parse({ ...textNoType, message: noId })).rejects.toThrow(/message_id/);
    await expect(parse({ ...textNoType, message: { ...textNoType.message, chat: { first_name: "Test" } } })).rejects.toThrow(/chat/);
  });
});
