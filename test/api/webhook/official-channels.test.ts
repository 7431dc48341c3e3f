import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel } from "../../../app/core/channels.js";
import { syncChannelTemplates } from "../../../app/core/templates.js";
import { createWebhookToken } from "../../../app/core/webhook-tokens.js";
import { channels, channelTemplates, messages } from "../../../app/db/schema.js";
import { cloudTextHook, OfficialFakes, postCloudHook, TG_CLIENT, WA_CLIENT } from "../../providers/official-fakes.js";
import { backends } from "../../support/db.js";
import { json, WebhookHarness } from "./harness.js";

/**
 * The public webhook API on the two official providers: templates on a Cloud API number (the
 * only thing that may go out after 24 hours of silence), the window itself, and a Telegram bot
 * that cannot write first to a phone number nor look one up.
 */
describe.each(await backends())("webhook API on Cloud API and Telegram bot channels (%s)", (backend) => {
  const h = new WebhookHarness(backend);
  const official = new OfficialFakes();
  beforeAll(async () => {
    await h.start({ PUBLIC_URL: "https://bridge.example" });
    await official.start();
  });
  afterAll(async () => {
    await official.close();
    await h.close();
  });

  async function channel(provider: "telegram" | "whatsapp-cloud") {
    const credentials = provider === "telegram" ? official.telegramCredentials() : official.cloudCredentials();
    const created = await createChannel(h.t.db, h.deps.keyring, { portalId: null, provider, name: provider, credentials });
    const [row] = await h.t.db.update(channels).set({ paceMinMs: 0, paceJitterMs: 0 }).where(eq(channels.id, created.channel.id)).returning();
    if (provider === "whatsapp-cloud") await syncChannelTemplates(h.deps, row!);
    const token = await createWebhookToken(h.deps, row!);
    return { channel: row!, hookSecret: created.hookSecret, base: `/rest/webhook/${token.kind}/${token.token}` };
  }

  const rowOf = async (id: unknown) => (await h.t.db.select().from(messages).where(eq(messages.id, String(id))))[0];

  describe("sendTemplate (Cloud API)", () => {
    it("happy: params[] queue a template with no window needed; the provider receives its name, language and body values", async () => {
      const { base } = await channel("whatsapp-cloud");
      const ok = await h.app.request(`${base}/sendTemplate?phone_number=79001234567&template=2023_april_promo&params[]=Mark&params[]=FALL25`);
      expect(ok.status).toBe(200);
      const body = await json(ok);
      expect(body).toMatchObject({ ok: true, status: "queued" });
      const since = official.cloudSends().length;
      await h.runOutbox();
      expect(official.cloudSends().slice(since)).toEqual([
        {
          messaging_product: "whatsapp",
          recipient_type: "individual",
          to: "79001234567",
          type: "template",
          template: {
            name: "2023_april_promo",
            language: { code: "en_US" },
            components: [{ type: "body", parameters: [{ type: "text", text: "Mark" }, { type: "text", text: "FALL25" }] }],
          },
        },
      ]);
      expect(official.cloud.violations).toEqual([]);
      const row = await rowOf(body.message_id);
      expect(row).toMatchObject({ status: "sent", origin: "webhook_api", template: { name: "2023_april_promo", language: "en_US", params: ["Mark", "FALL25"] } });
      expect(row!.body).toContain("Hi Mark, our Fall Sale is on!");
    });

    it("happy: a repeated request_id returns the first message even after the template was disabled (the template is checked only for a new message)", async () => {
      const { base, channel: ch } = await channel("whatsapp-cloud");
      const call = { phone_number: "79001234567", template: "2023_april_promo", param1: "Mark", param2: "FALL25", request_id: "order-77" };
      const first = await json(await h.get(`${base}/sendTemplate`, call));
      expect(first).toMatchObject({ ok: true });
      await h.t.db.update(channelTemplates).set({ status: "DISABLED" }).where(eq(channelTemplates.channelId, ch.id));
      const again = await h.get(`${base}/sendTemplate`, call);
      expect(again.status).toBe(200);
      expect(await json(again)).toMatchObject({ ok: true, message_id: first.message_id });
      // a new request is checked and refused
      const fresh = await h.get(`${base}/sendTemplate`, { ...call, request_id: "order-78" });
      expect(await json(fresh)).toMatchObject({ ok: false, error: "template_invalid" });
      await h.runOutbox();
    });

    it("happy: param1, param2… and a JSON params array are the same call", async () => {
      const { base } = await channel("whatsapp-cloud");
      const viaForm = await h.postForm(`${base}/sendTemplate`, { phone_number: "79001234567", template: "2023_april_promo", param1: "Anna", param2: "SPRING" });
      const viaJson = await h.postJson(`${base}/sendTemplate`, { phone_number: "79001234567", template: "2023_april_promo", language: "en_US", params: ["Anna", "SPRING"] });
      for (const res of [viaForm, viaJson]) expect(res.status).toBe(200);
      const since = official.cloudSends().length;
      await h.runOutbox();
      const sent = official.cloudSends().slice(since);
      expect(sent).toHaveLength(2);
      for (const s of sent) expect((s.template as { components: unknown }).components).toEqual([{ type: "body", parameters: [{ type: "text", text: "Anna" }, { type: "text", text: "SPRING" }] }]);
    });

    it("error: an unknown template -> 422 template_invalid naming the approved ones; nothing queued or sent", async () => {
      const { base, channel: ch } = await channel("whatsapp-cloud");
      const res = await h.get(`${base}/sendTemplate`, { phone_number: "79001234567", template: "spring_sale", param1: "x" });
      expect(res.status).toBe(422);
      const body = await json(res);
      expect(body).toMatchObject({ ok: false, error: "template_invalid", field: "template" });
      expect(String(body.message)).toContain("approved: 2023_april_promo");
      expect(await h.t.db.select().from(messages).where(eq(messages.channelId, ch.id))).toEqual([]);
    });

    it.each([
      ["too few", { param1: "Mark" }],
      ["too many", { param1: "Mark", param2: "FALL25", param3: "extra" }],
    ])("error: %s values -> 422 template_invalid on params", async (_name, values) => {
      const { base } = await channel("whatsapp-cloud");
      const res = await h.get(`${base}/sendTemplate`, { phone_number: "79001234567", template: "2023_april_promo", ...values });
      expect(res.status).toBe(422);
      const body = await json(res);
      expect(body).toMatchObject({ ok: false, error: "template_invalid", field: "params" });
      expect(String(body.message)).toContain("takes 2 value(s)");
    });

    it("error: a template not approved (PENDING) -> 422 template_invalid", async () => {
      const { base } = await channel("whatsapp-cloud");
      const res = await h.get(`${base}/sendTemplate`, { phone_number: "79001234567", template: "order_update", param1: "1", header_url: "https://files.example.com/a.jpg" });
      expect(res.status).toBe(422);
      expect(await json(res)).toMatchObject({ error: "template_invalid" });
    });
  });

  describe("the 24-hour window (Cloud API)", () => {
    it("error: sendText to a client who never wrote (or wrote 24+ hours ago) -> 422 template_required; after the client writes, it queues and goes out", async () => {
      const { base, hookSecret } = await channel("whatsapp-cloud");
      const refused = await h.get(`${base}/sendText`, { phone_number: WA_CLIENT.phone, body: "Your order is ready" });
      expect(refused.status).toBe(422);
      expect(await json(refused)).toMatchObject({ ok: false, error: "template_required" });
      expect(String((await json(await h.get(`${base}/sendText`, { phone_number: WA_CLIENT.phone, body: "x" }))).message)).toContain("sendTemplate");

      expect((await postCloudHook(h.app, hookSecret, cloudTextHook({ text: "Hi", date: h.clock.now() }))).status).toBe(200);
      const ok = await h.get(`${base}/sendText`, { phone_number: WA_CLIENT.phone, body: "Your order is ready" });
      expect(ok.status).toBe(200);
      const since = official.cloudSends().length;
      await h.runOutbox();
      expect(official.cloudSends().slice(since)).toMatchObject([{ to: WA_CLIENT.phone, type: "text", text: { body: "Your order is ready" } }]);

      h.clock.advance(25 * 3600_000);
      const late = await h.get(`${base}/sendText`, { phone_number: WA_CLIENT.phone, body: "Still there?" });
      expect(late.status).toBe(422);
      expect(await json(late)).toMatchObject({ error: "template_required" });
    });
  });

  describe("Telegram bot (/rest/webhook/tg/…)", () => {
    it("error: sendText to a phone number -> 400 invalid_parameter: a bot cannot write first", async () => {
      const { base, channel: ch } = await channel("telegram");
      expect(base).toMatch(/^\/rest\/webhook\/tg\//);
      const res = await h.get(`${base}/sendText`, { phone_number: "79001234567", body: "Hello" });
      expect(res.status).toBe(400);
      const body = await json(res);
      expect(body).toMatchObject({ ok: false, error: "invalid_parameter", field: "phone_number" });
      expect(String(body.message)).toContain("cannot write first");
      expect(await h.t.db.select().from(messages).where(eq(messages.channelId, ch.id))).toEqual([]);
    });

    it("happy: sendText with chat_id queues and reaches sendMessage", async () => {
      const { base } = await channel("telegram");
      const res = await h.get(`${base}/sendText`, { chat_id: TG_CLIENT.chatId, body: "Your order is [b]ready[/b]" });
      expect(res.status).toBe(200);
      const body = await json(res);
      expect(body).toMatchObject({ ok: true, status: "queued" });
      const since = official.telegramCalls("sendMessage").length;
      await h.runOutbox();
      expect(official.telegramCalls("sendMessage").slice(since)).toEqual([{ chat_id: TG_CLIENT.chatId, text: "Your order is <b>ready</b>", parse_mode: "HTML" }]);
      expect(official.telegram.violations).toEqual([]);
      expect(await rowOf(body.message_id)).toMatchObject({ status: "delivered", peer: `chat:${TG_CLIENT.chatId}` });
    });

    it("error: checkPhone on a bot channel -> 422 unsupported, the provider is not asked", async () => {
      const { base } = await channel("telegram");
      const before = official.telegram.requests.length;
      const res = await h.get(`${base}/checkPhone`, { phone_number: "79001234567" });
      expect(res.status).toBe(422);
      expect(await json(res)).toMatchObject({ ok: false, error: "unsupported" });
      expect(official.telegram.requests.length).toBe(before);
    });

    it("error: sendTemplate on a bot channel -> 422 unsupported, nothing queued", async () => {
      const { base, channel: ch } = await channel("telegram");
      const res = await h.get(`${base}/sendTemplate`, { phone_number: "79001234567", template: "hello_world" });
      expect(res.status).toBe(422);
      expect(await json(res)).toMatchObject({ ok: false, error: "unsupported" });
      expect(await h.t.db.select().from(messages).where(eq(messages.channelId, ch.id))).toEqual([]);
    });
  });
});
