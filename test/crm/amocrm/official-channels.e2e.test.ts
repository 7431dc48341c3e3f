import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { failureText } from "../../../app/core/failure-texts.js";
import failed131026 from "../../../app/providers/whatsapp-cloud/fixtures/webhook-status-failed-131026.json";
import {
  cloudStatusHook,
  cloudTextHook,
  postCloudHook,
  postTelegramUpdate,
  telegramUpdate,
  TG_CLIENT,
  WA_CLIENT,
} from "../../providers/official-fakes.js";
import { TELEGRAM_TOKEN } from "../../providers/telegram/fake.js";
import { backends } from "../../support/db.js";
import type { AmojoBound } from "./amojo-harness.js";
import { OfficialAmojoHarness } from "./official-harness.js";

const HOUR = 3600_000;
const ERRORS_131026 = failed131026.entry[0]!.changes[0]!.value.statuses[0]!.errors;
const TG_PEER = `chat:${TG_CLIENT.chatId}`;

/**
 * The two official providers in amoCRM chats (amojo), end to end: a client's message becomes a
 * new_message, a manager's hook a send at the provider, and the provider's statuses (or their
 * absence) the delivery_status amojo shows under the manager's message. Accounts are on
 * .amocrm.ru, so failure texts are Russian.
 */
describe.each(await backends())("amojo: Telegram bot and WhatsApp Cloud API channels end to end (%s)", (backend) => {
  const h = new OfficialAmojoHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());
  beforeEach(() => {
    h.official.telegram.reset();
    h.official.cloud.reset();
  });

  async function telegramChat(): Promise<AmojoBound> {
    const b = await h.boundOfficial("telegram");
    expect((await postTelegramUpdate(h.app, b.hookSecret, telegramUpdate({ text: "Hello from Telegram", date: h.clock.now() }))).status).toBe(200);
    await h.runJobs(2);
    return b;
  }

  async function cloudChat(): Promise<AmojoBound> {
    const b = await h.boundOfficial("whatsapp-cloud");
    expect((await postCloudHook(h.app, b.hookSecret, cloudTextHook({ text: "Hello from WhatsApp", date: h.clock.now() }))).status).toBe(200);
    await h.runJobs(2);
    return b;
  }

  describe("Telegram bot", () => {
    it("happy: a client's text -> new_message whose sender name carries the @username and profile_link is t.me, no phone", async () => {
      const b = await telegramChat();
      const [sent] = h.amojo.newMessages(b.scopeId);
      expect(sent).toMatchObject({
        conversation_id: `cb-${b.channel.id}-${TG_PEER}`,
        sender: { id: `cb-user-${b.channel.id}-${TG_PEER}`, name: `${TG_CLIENT.name} (@${TG_CLIENT.username})`, profile_link: `https://t.me/${TG_CLIENT.username}` },
        message: { type: "text", text: "Hello from Telegram" },
        silent: false,
      });
      expect((sent!.sender as Record<string, unknown>).profile).toBeUndefined();
      expect(JSON.stringify(h.amojo.newMessages(b.scopeId))).not.toContain(TELEGRAM_TOKEN);
      expect(h.amojo.violations).toEqual([]);
    });

    it("happy: a manager's reply -> sendMessage to the client's chat; bots get no receipts, so Telegram's answer is reported as delivered (1), never read", async () => {
      const b = await telegramChat();
      const id = crypto.randomUUID();
      expect((await h.managerWrites(b, TG_PEER, id, "Your order ships today")).status).toBe(200);
      await h.runJobs(4);
      expect(h.official.telegramCalls("sendMessage")).toEqual([{ chat_id: TG_CLIENT.chatId, text: "Your order ships today", parse_mode: "HTML" }]);
      expect(h.official.telegram.violations).toEqual([]);
      const [out] = (await h.messagesOf(b.channel.id)).filter((m) => m.crmMessageId === id);
      expect(out).toMatchObject({ origin: "amojo", status: "delivered", peer: TG_PEER });
      // the message is in the client's chat when Telegram answers (channels-next.md 1 "Statuses"); read never comes
      expect(h.amojo.deliveryStatuses(b.scopeId)).toEqual([{ msgid: id, body: { msgid: id, status_code: 1, delivery_status: 1 } }]);
    });

    it("error: a client who blocked the bot -> -1 with 904 and the fixed reason [U: 403 wording]", async () => {
      const b = await telegramChat();
      const id = crypto.randomUUID();
      h.official.telegram.answerNext({ status: 403, body: { ok: false, error_code: 403, description: "Forbidden: bot was blocked by the user" } });
      await h.managerWrites(b, TG_PEER, id, "Hello?");
      await h.runJobs(4);
      expect(h.amojo.deliveryStatuses(b.scopeId)).toEqual([
        { msgid: id, body: { msgid: id, status_code: -1, delivery_status: -1, error_code: 904, error: failureText("no_messenger", "ru") } },
      ]);
    });
  });

  describe("WhatsApp Cloud API", () => {
    it("happy: a client's text -> new_message with the client's name, phone and wa.me link", async () => {
      const b = await cloudChat();
      const [sent] = h.amojo.newMessages(b.scopeId);
      expect(sent).toMatchObject({
        conversation_id: `cb-${b.channel.id}-${WA_CLIENT.phone}`,
        sender: { name: WA_CLIENT.name, profile: { phone: `+${WA_CLIENT.phone}` }, profile_link: `https://wa.me/${WA_CLIENT.phone}` },
        message: { type: "text", text: "Hello from WhatsApp" },
      });
      expect(h.amojo.violations).toEqual([]);
    });

    it("happy: a manager's reply within the window -> POST /messages; delivered and read statuses -> delivery_status 1 then 2", async () => {
      const b = await cloudChat();
      const id = crypto.randomUUID();
      h.official.nextWamids("wamid.AMO.reply.0001");
      await h.managerWrites(b, WA_CLIENT.phone, id, "Добрый день! Заказ отправлен");
      await h.runJobs(4);
      expect(h.official.cloudSends()).toContainEqual(expect.objectContaining({ to: WA_CLIENT.phone, type: "text", text: { body: "Добрый день! Заказ отправлен", preview_url: false } }));
      expect(h.official.cloud.violations).toEqual([]);
      expect(h.amojo.deliveryStatuses(b.scopeId)).toEqual([]);

      for (const status of ["sent", "delivered", "read"] as const) {
        expect((await postCloudHook(h.app, b.hookSecret, cloudStatusHook("wamid.AMO.reply.0001", status, h.clock.now()))).status).toBe(200);
        await h.runJobs(1);
      }
      expect(h.amojo.deliveryStatuses(b.scopeId)).toEqual([
        { msgid: id, body: { msgid: id, status_code: 1, delivery_status: 1 } },
        { msgid: id, body: { msgid: id, status_code: 2, delivery_status: 2 } },
      ]);
      expect(h.amojo.violations).toEqual([]);
    });

    it("error: a failed 131026 status -> -1 with 904 and the fixed 'no account' reason, nothing of Meta's answer", async () => {
      const b = await cloudChat();
      const id = crypto.randomUUID();
      h.official.nextWamids("wamid.AMO.fail.0001");
      await h.managerWrites(b, WA_CLIENT.phone, id, "Ваш счёт");
      await h.runJobs(4);
      await postCloudHook(h.app, b.hookSecret, cloudStatusHook("wamid.AMO.fail.0001", "failed", h.clock.now(), ERRORS_131026));
      await h.runJobs(2);
      const reports = h.amojo.deliveryStatuses(b.scopeId);
      expect(reports).toEqual([{ msgid: id, body: { msgid: id, status_code: -1, delivery_status: -1, error_code: 904, error: failureText("no_messenger", "ru") } }]);
      expect(JSON.stringify(reports)).not.toMatch(/131026|wamid|undeliverable/i);
    });

    it("error: a manager's free text 24+ hours after the client's last message is not sent -> -1 with 905 and the template_required text", async () => {
      const b = await cloudChat();
      h.clock.advance(25 * HOUR);
      const since = h.official.cloudSends().length;
      const id = crypto.randomUUID();
      expect((await h.managerWrites(b, WA_CLIENT.phone, id, "Вы ещё с нами?")).status).toBe(200);
      await h.runJobs(4);
      expect(h.official.cloudSends().slice(since)).toEqual([]);
      // the reason may be followed by what to do about it (the approved templates)
      expect(h.amojo.deliveryStatuses(b.scopeId)).toEqual([
        { msgid: id, body: { msgid: id, status_code: -1, delivery_status: -1, error_code: 905, error: expect.stringMatching(/^С последнего сообщения клиента прошло больше 24 часов/) } },
      ]);
      expect(String(h.amojo.deliveryStatuses(b.scopeId)[0]!.body.error)).toContain(failureText("template_required", "ru"));
      const [row] = (await h.messagesOf(b.channel.id)).filter((m) => m.crmMessageId === id);
      expect(row).toMatchObject({ status: "failed", errorCode: "template_required" });
    });
  });
});
