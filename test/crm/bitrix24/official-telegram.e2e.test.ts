import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { messages } from "../../../app/db/schema.js";
import { TELEGRAM_FILE_BYTES, TELEGRAM_TOKEN } from "../../providers/telegram/fake.js";
import { postTelegramUpdate, telegramSecretToken, telegramUpdate, TG_CLIENT } from "../../providers/official-fakes.js";
import { backends } from "../../support/db.js";
import { type OfficialBound, OfficialHarness } from "./official-harness.js";

/**
 * A Telegram bot channel end to end on Bitrix24 Open Lines: created through the admin API (the
 * bot checked with getMe, its webhook set with our secret token), a client's Update into the
 * line, an operator's reply back to the bot's chat, and the acknowledgement that follows.
 */
describe.each(await backends())("Open Lines: Telegram bot channel end to end (%s)", (backend) => {
  const h = new OfficialHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());
  beforeEach(() => h.official.telegram.reset());

  const storedOf = (channelId: string) => h.t.db.select().from(messages).where(eq(messages.channelId, channelId));

  async function clientWrites(b: OfficialBound, opts: { text?: string; photo?: boolean } = {}) {
    const update = telegramUpdate({ ...opts, date: h.clock.now() });
    const res = await postTelegramUpdate(h.app, b.hookSecret, update);
    expect(res.status).toBe(200);
    await h.runJobs(2);
    return update;
  }

  it("happy: created through the admin API, the bot is described (username, t.me link) and its webhook set with our secret and allowed_updates", async () => {
    const b = await h.officialChannel("telegram");
    expect(b.warning).toBeUndefined();
    expect(b.view).toMatchObject({ provider: "telegram", messenger: "telegram", state: "connected" });
    const shown = await h.call("GET", `/api/channels/${b.view.id}`, b.token);
    expect(shown.body.channel).toMatchObject({ line: b.line, state_detail: b.view.state_detail });
    expect(b.view.state_detail).toMatchObject({ username: "@chatbridge_demo_bot", link: "https://t.me/chatbridge_demo_bot", name: "Chatbridge Demo" });
    expect(b.view.hook_url).toMatch(/^https:\/\/bridge\.example\/hooks\/telegram\/[A-Za-z0-9_-]+$/);
    expect(b.view.webhook_url).toMatch(/^https:\/\/bridge\.example\/rest\/webhook\/tg\/[A-Za-z0-9_-]+$/);
    // the token is a credential: the admin never sees it again
    expect(JSON.stringify(b.view)).not.toContain(TELEGRAM_TOKEN);

    expect(h.official.telegramCalls("getMe")).toHaveLength(1);
    const [set] = h.official.telegramCalls("setWebhook");
    expect(set).toMatchObject({ url: b.view.hook_url, secret_token: await telegramSecretToken(b.hookSecret) });
    expect(set!.allowed_updates).toEqual(expect.arrayContaining(["message", "edited_message"]));
    expect(h.official.telegram.violations).toEqual([]);
    // the line was connected for this channel
    const [data] = h.fake.callsOf("imconnector.connector.data.set").filter((c) => String(c.body.LINE) === b.line);
    expect(data!.body.DATA).toMatchObject({ ID: b.channel.id, NAME: "Telegram: Support" });
  });

  it("happy: a client's text reaches imconnector.send.messages with their name and t.me link; a redelivered Update is stored once", async () => {
    const b = await h.officialChannel("telegram");
    const update = await clientWrites(b, { text: "Hello, is the order ready?" });
    const again = await postTelegramUpdate(h.app, b.hookSecret, update);
    expect(await again.json()).toEqual({ ok: true, stored: 0, duplicates: 1, statuses: 0 });
    await h.runJobs(2);

    const sends = h.lineCalls(b, "imconnector.send.messages");
    expect(sends).toHaveLength(1);
    const [item] = sends[0]!.body.MESSAGES as Array<Record<string, Record<string, unknown>>>;
    expect(item!.user).toMatchObject({ name: TG_CLIENT.name, url: `https://t.me/${TG_CLIENT.username}` });
    // a Telegram chat id is not a phone number
    expect(item!.user!.phone).toBeUndefined();
    expect(item!.chat).toMatchObject({ url: `https://t.me/${TG_CLIENT.username}` });
    expect(item!.message).toMatchObject({ text: "Hello, is the order ready?" });

    const stored = await storedOf(b.channel.id);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ direction: "in", peer: `chat:${TG_CLIENT.chatId}`, body: "Hello, is the order ready?" });
  });

  it.each([
    ["without the secret header", null],
    ["with a wrong secret header", "not-the-secret-token"],
  ])("security: an Update %s -> 401, nothing stored or sent to the portal", async (_name, secret) => {
    const b = await h.officialChannel("telegram");
    const forged = telegramUpdate({ text: "send me the invoices of everyone", date: h.clock.now() });
    const res = await postTelegramUpdate(h.app, b.hookSecret, forged, secret);
    expect(res.status).toBe(401);
    await h.runJobs(2);
    expect(await storedOf(b.channel.id)).toEqual([]);
    expect(h.lineCalls(b, "imconnector.send.messages")).toEqual([]);
  });

  it("security: another channel's secret token does not open this channel's hook", async () => {
    const b = await h.officialChannel("telegram");
    const other = await h.officialChannel("telegram", "Other bot");
    const res = await postTelegramUpdate(h.app, b.hookSecret, telegramUpdate({ date: h.clock.now() }), await telegramSecretToken(other.hookSecret));
    expect(res.status).toBe(401);
    expect(await storedOf(b.channel.id)).toEqual([]);
  });

  it("happy: a photo is re-hosted under our /files/ URL with its caption; the bot token reaches the portal nowhere", async () => {
    const b = await h.officialChannel("telegram");
    await clientWrites(b, { photo: true });
    const [send] = h.lineCalls(b, "imconnector.send.messages");
    const [item] = send!.body.MESSAGES as Array<{ message: { text?: string; files?: Array<{ url: string; name: string }> } }>;
    expect(item!.message.text).toBe("my order");
    expect(item!.message.files).toHaveLength(1);
    const file = item!.message.files![0]!;
    expect(file.url).toMatch(/^https:\/\/bridge\.example\/files\//);
    expect(file.name).toBe("photo-AQADr7wxG1x.jpg");
    // the copy serves the bytes Telegram's file route gave
    const served = await h.app.request(new URL(file.url).pathname + new URL(file.url).search);
    expect(served.status).toBe(200);
    expect(await served.text()).toBe(TELEGRAM_FILE_BYTES);
    // Telegram's download URL carries the bot token: it must never leave for the CRM
    expect(h.official.telegramCalls("getFile")).toHaveLength(1);
    expect(JSON.stringify(h.fake.restCalls)).not.toContain(TELEGRAM_TOKEN);
    expect(JSON.stringify(h.fake.restCalls)).not.toContain(TELEGRAM_TOKEN.split(":")[1]!);
    expect(JSON.stringify(await storedOf(b.channel.id))).not.toContain(TELEGRAM_TOKEN);
    expect(h.official.telegram.violations).toEqual([]);
  });

  it("happy: an operator's BB-code reply goes out as sendMessage with parse_mode HTML and <b>; delivery is acknowledged, reading never", async () => {
    const b = await h.officialChannel("telegram");
    await clientWrites(b, { text: "Hi" });
    const chat = await h.chatOf(b);
    const res = await h.operatorWrites(chat, "91001", "[b]Klaus Weber:[/b] [br]Your order is <ready> & packed");
    expect(await res.json()).toEqual({ ok: true, queued: 1, duplicates: 0, skipped: 0 });
    await h.runJobs(3);

    const sends = h.official.telegramCalls("sendMessage");
    expect(sends).toHaveLength(1);
    expect(sends[0]).toMatchObject({ chat_id: TG_CLIENT.chatId, parse_mode: "HTML" });
    expect(sends[0]!.text).toBe("<b>Klaus Weber:</b>\nYour order is &lt;ready&gt; &amp; packed");
    expect(h.official.telegram.violations).toEqual([]);

    const [out] = (await storedOf(b.channel.id)).filter((m) => m.direction === "out");
    expect(out).toMatchObject({ status: "delivered", crmMessageId: "91001", providerMessageId: expect.stringMatching(new RegExp(`^${TG_CLIENT.chatId}:\\d+$`)) });
    const acks = h.lineCalls(b, "imconnector.send.status.delivery");
    expect(acks).toHaveLength(1);
    expect(acks[0]!.body.MESSAGES).toMatchObject([{ im: { chat_id: chat.imChat, message_id: "91001" }, message: { id: [out!.providerMessageId] }, chat: { id: chat.conversationId } }]);
    // bots get no receipts: nothing ever says the client read it
    await h.runJobs(2);
    expect(h.lineCalls(b, "imconnector.send.status.reading")).toEqual([]);
  });

  it("error: a client who blocked the bot -> a ⚠️ note in the chat with the fixed public reason, no ack [U: 403 wording]", async () => {
    const b = await h.officialChannel("telegram");
    await clientWrites(b, { text: "Hi" });
    const chat = await h.chatOf(b);
    h.official.telegram.answerNext({ status: 403, body: { ok: false, error_code: 403, description: "Forbidden: bot was blocked by the user" } });
    await h.operatorWrites(chat, "91002", "Are you there?");
    await h.runJobs(3);
    const note = h.lineTexts(b).at(-1)!;
    expect(note.startsWith("⚠️")).toBe(true);
    expect(note).toContain("Are you there?");
    expect(note).toContain("The number has no account in this messenger");
    expect(note).not.toContain("Forbidden");
    expect(note).not.toContain("127.0.0.1");
    expect(h.lineCalls(b, "imconnector.send.status.delivery")).toEqual([]);
  });
});
