import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordStatus } from "../../../app/core/messages/record-status.js";
import { createWebhookToken } from "../../../app/core/webhook-tokens.js";
import { WAPPI_PROFILE } from "../../providers/wappi/fake.js";
import { backends } from "../../support/db.js";
import { type AmojoBound, AmojoHarness, CLIENT_PHONE } from "./amojo-harness.js";
import { FAKE_BOT_ID } from "./fake-amojo.js";

describe.each(await backends())("amojo: manager -> client (outgoing hook 2.7, delivery_status 2.8) (%s)", (backend) => {
  const h = new AmojoHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  /** A bound channel whose client has written once, so the chat exists on both sides. */
  async function chatting(): Promise<AmojoBound & { clientId: string }> {
    const b = await h.bound();
    await h.clientWrites(b, { body: "Здравствуйте" });
    await h.runJobs(2);
    return { ...b, clientId: `cb-${b.channel.id}-${CLIENT_PHONE}` };
  }

  function managerWrites(b: AmojoBound & { clientId: string }, message: { messageId?: string; text?: string; media?: string; type?: string; markup?: unknown }) {
    return h.hook(b, h.amojo.hookPayload({ accountId: b.account.amojoId, conversationClientId: b.clientId, sourceExternalId: b.channel.id, ...message }));
  }

  function wappiStatus(b: AmojoBound, id: string, status: string) {
    return h.wappiHook(b, { messages: { wh_type: "delivery_status", profile_id: WAPPI_PROFILE, id, status, time: Math.floor(h.clock.now().getTime() / 1000) } });
  }

  it("happy: a manager's reply POSTed twice is queued once, sent to the client once, and its delivery and reading are reported (1, 2)", async () => {
    const b = await chatting();
    const id = crypto.randomUUID();
    const first = await managerWrites(b, { messageId: id, text: "Добрый день! Чем помочь?" });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ ok: true });
    expect((await managerWrites(b, { messageId: id, text: "Добрый день! Чем помочь?" })).status).toBe(200);

    const out = (await h.messagesOf(b.channel.id)).filter((m) => m.direction === "out");
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ origin: "amojo", crmMessageId: id, dedupKey: `amojo:${b.scopeId}:${id}`, peer: CLIENT_PHONE, body: "Добрый день! Чем помочь?" });

    const sendsBefore = h.wappiSends().length;
    await h.runJobs(3);
    expect(h.wappiSends().slice(sendsBefore)).toEqual([{ body: "Добрый день! Чем помочь?", recipient: CLIENT_PHONE }]);
    expect(h.wappi.violations).toEqual([]);
    // "sent" is amoCRM's own status: nothing reported for it
    expect(h.amojo.deliveryStatuses(b.scopeId)).toEqual([]);

    expect((await wappiStatus(b, "3EB0128AE55B5D222DD0", "delivered")).status).toBe(200);
    await h.runJobs(1);
    expect((await wappiStatus(b, "3EB0128AE55B5D222DD0", "read")).status).toBe(200);
    await h.runJobs(1);
    // 2.8 [U: field names]: the defensive body carries both status_code and delivery_status
    expect(h.amojo.deliveryStatuses(b.scopeId)).toEqual([
      { msgid: id, body: { msgid: id, status_code: 1, delivery_status: 1 } },
      { msgid: id, body: { msgid: id, status_code: 2, delivery_status: 2 } },
    ]);
    expect(h.amojo.violations).toEqual([]);
  });

  it("happy: a refused send is reported as -1 with 905 and a short human reason [U: body fields]", async () => {
    const b = await chatting();
    const id = crypto.randomUUID();
    h.wappi.answerNext({ status: 400, body: { status: "error", detail: "Recipient is wrong (token abc123 in logs)" } });
    await managerWrites(b, { messageId: id, text: "Alles klar?" });
    await h.runJobs(3);
    const [report] = h.amojo.deliveryStatuses(b.scopeId);
    expect(report).toEqual({ msgid: id, body: { msgid: id, status_code: -1, delivery_status: -1, error_code: 905, error: "Сообщение не удалось отправить" } });
    expect(JSON.stringify(report)).not.toContain("abc123");
    expect(h.amojo.violations).toEqual([]);
  });

  it("happy: Wappi's 'Recipient is not registered in WhatsApp' reaches amojo as 904 with the reason in the account's language [U: Wappi wording]", async () => {
    const b = await chatting();
    const id = crypto.randomUUID();
    h.wappi.answerNext({ status: 400, body: { status: "error", detail: "Recipient is not registered in WhatsApp" } });
    await managerWrites(b, { messageId: id, text: "Добрый день" });
    await h.runJobs(3);
    expect(h.amojo.deliveryStatuses(b.scopeId)).toEqual([
      { msgid: id, body: { msgid: id, status_code: -1, delivery_status: -1, error_code: 904, error: "У номера нет аккаунта в этом мессенджере" } },
    ]);
    expect(h.amojo.violations).toEqual([]);
  });

  it("happy: a number without the messenger is reported as -1 with 904 (2.8)", async () => {
    const b = await chatting();
    const id = crypto.randomUUID();
    await managerWrites(b, { messageId: id, text: "Hello" });
    const [message] = (await h.messagesOf(b.channel.id)).filter((m) => m.crmMessageId === id);
    await recordStatus(h.deps, message!, { status: "failed", at: h.clock.now(), errorCode: "no_messenger", reason: "not on WhatsApp" });
    await h.runJobs(1);
    expect(h.amojo.deliveryStatuses(b.scopeId)).toEqual([
      { msgid: id, body: { msgid: id, status_code: -1, delivery_status: -1, error_code: 904, error: "У номера нет аккаунта в этом мессенджере" } },
    ]);
  });

  it("happy: a picture goes to the client as a file by amojo's public link, the text as caption", async () => {
    const b = await chatting();
    await managerWrites(b, { type: "picture", media: `${h.media.url}/media/invoice.jpg`, text: "Ваш счёт" });
    const sendsBefore = h.wappiSends().length;
    await h.runJobs(3);
    expect(h.wappiSends().slice(sendsBefore)).toEqual([{ recipient: CLIENT_PHONE, url: `${h.media.url}/media/invoice.jpg`, caption: "Ваш счёт" }]);
  });

  it("happy: inline buttons are listed under the text (the messenger gets plain text)", async () => {
    const b = await chatting();
    const markup = { mode: "inline", buttons: [[{ text: "Принять" }, { text: "Открыть", url: "https://shop.example/o/1" }]] };
    await managerWrites(b, { text: "Подтвердите заказ", markup });
    const sendsBefore = h.wappiSends().length;
    await h.runJobs(3);
    expect(h.wappiSends().slice(sendsBefore)).toEqual([{ body: "Подтвердите заказ\n\n• Принять\n• Открыть: https://shop.example/o/1", recipient: CLIENT_PHONE }]);
  });

  it("happy: write-first (no client_id) goes to receiver.phone; the client's answer binds amojo's chat with conversation_ref_id once", async () => {
    const b = await h.bound();
    const amojoChat = crypto.randomUUID();
    const amojoUser = crypto.randomUUID();
    const payload = h.amojo.hookPayload({ accountId: b.account.amojoId, conversationId: amojoChat, receiverId: amojoUser, receiverPhone: "+7 (911) 557-63-66", text: "Здравствуйте, это магазин" });
    expect((await h.hook(b, payload)).status).toBe(200);
    const [out] = (await h.messagesOf(b.channel.id)).filter((m) => m.direction === "out");
    expect(out).toMatchObject({ origin: "amojo", peer: CLIENT_PHONE });
    const sendsBefore = h.wappiSends().length;
    await h.runJobs(3);
    expect(h.wappiSends().slice(sendsBefore)).toEqual([{ body: "Здравствуйте, это магазин", recipient: CLIENT_PHONE }]);

    await h.clientWrites(b, { body: "Да, слушаю" });
    await h.runJobs(2);
    await h.clientWrites(b, { body: "И ещё" });
    await h.runJobs(2);
    const [answer, next] = h.amojo.newMessages(b.scopeId).filter((p) => String(p.conversation_id).startsWith(`cb-${b.channel.id}-`));
    expect(answer).toMatchObject({ conversation_id: `cb-${b.channel.id}-${CLIENT_PHONE}`, conversation_ref_id: amojoChat, sender: { ref_id: amojoUser }, message: { text: "Да, слушаю" } });
    expect(next!.conversation_ref_id).toBeUndefined();
    expect((next!.sender as Record<string, unknown>).ref_id).toBeUndefined();
    expect(h.amojo.violations).toEqual([]);
  });

  it("happy: typing and reaction hooks are acknowledged and ignored", async () => {
    const b = await chatting();
    const typing = { account_id: b.account.amojoId, time: 1637087558, action: { typing: { user: { id: "fb0fb604" }, conversation: { id: "f1e4e02c", client_id: b.clientId }, expired_at: 1637087563 } } };
    const res = await h.hook(b, typing);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, ignored: expect.any(String) });
    expect((await h.messagesOf(b.channel.id)).filter((m) => m.direction === "out")).toEqual([]);
  });

  it("happy: send_to_imol shows the API message in the chat once the provider took it, from the bot, not silent; its echo is not sent again", async () => {
    const b = await h.bound();
    const { token } = await createWebhookToken(h.deps, b.channel);
    const res = await h.app.request(`/rest/webhook/wa/${token}/sendText?phone_number=${CLIENT_PHONE}&body=${encodeURIComponent("Ваш заказ готов")}&send_to_imol=Y`);
    expect(res.status).toBe(200);
    const sendsBefore = h.wappiSends().length;
    await h.runJobs(4);
    expect(h.wappiSends().slice(sendsBefore)).toEqual([{ body: "Ваш заказ готов", recipient: CLIENT_PHONE }]);
    const [mirror] = h.amojo.newMessages(b.scopeId);
    const [message] = await h.messagesOf(b.channel.id);
    expect(mirror).toMatchObject({
      msgid: message!.id,
      conversation_id: `cb-${b.channel.id}-${CLIENT_PHONE}`,
      sender: { id: `cb-bot-${b.channel.id}`, ref_id: FAKE_BOT_ID },
      receiver: { id: `cb-user-${b.channel.id}-${CLIENT_PHONE}`, profile: { phone: `+${CLIENT_PHONE}` } },
      message: { type: "text", text: "Ваш заказ готов" },
      silent: false,
    });
    expect(h.amojo.violations).toEqual([]);

    // [U] if amojo sends our own message back as a hook, it is not sent to the client a second time
    const echo = h.amojo.hookPayload({ accountId: b.account.amojoId, messageId: message!.crmMessageId!, conversationClientId: `cb-${b.channel.id}-${CLIENT_PHONE}`, sourceExternalId: b.channel.id, text: "Ваш заказ готов" });
    expect(await (await h.hook(b, echo)).json()).toMatchObject({ ok: true, ignored: expect.any(String) });
    expect(await h.messagesOf(b.channel.id)).toHaveLength(1);
  });
});
