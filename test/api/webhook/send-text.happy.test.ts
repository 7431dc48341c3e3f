import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIRROR_OUTGOING_JOB } from "../../../app/core/webhook-send.js";
import { regenerateWebhookToken } from "../../../app/core/webhook-tokens.js";
import { lineBindings, messages, outboxJobs } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { json, WebhookHarness } from "./harness.js";

const HOUR = 3600_000;

describe.each(await backends())("sendText happy path (%s)", (backend) => {
  const h = new WebhookHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("GET, form POST and JSON POST give identical answers and identical sends", async () => {
    const { base } = await h.channel();
    const params = { phone_number: "8 (900) 123-45-67", body: "Мы получили вашу заявку №00001", send_to_imol: "N" };
    const answers = [
      await h.get(`${base}/sendText`, params),
      await h.postForm(`${base}/sendText`, params),
      await h.postJson(`${base}/sendText`, params),
    ];
    const bodies = [];
    for (const res of answers) {
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("application/json");
      bodies.push(await json(res));
    }
    for (const body of bodies) {
      expect(Object.keys(body).sort()).toEqual(["message_id", "ok", "status"]);
      expect(body).toMatchObject({ ok: true, status: "queued" });
      expect(body.message_id).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(new Set(bodies.map((b) => b.message_id)).size).toBe(3);

    const before = h.sends().length;
    expect(await h.runOutbox()).toBe(3);
    const sent = h.sends().slice(before);
    expect(sent).toHaveLength(3);
    for (const s of sent) {
      expect(s.path).toBe("/api/sync/message/send");
      expect(s.body).toEqual({ recipient: "79001234567", body: "Мы получили вашу заявку №00001" });
    }
    expect(h.wappi.whatsapp.violations).toEqual([]);
    const rows = await h.t.db.select().from(messages).where(eq(messages.origin, "webhook_api"));
    for (const b of bodies) {
      const row = rows.find((r) => r.id === b.message_id)!;
      expect(row.status).toBe("sent");
      expect(row.providerMessageId).toBe("3EB0128AE55B5D222DD0");
      expect(row.sendToImol).toBe(false);
    }
  });

  it("a repeated request_id within 24 h returns the first message and sends once; after 24 h it sends again", async () => {
    const { base, channel } = await h.channel();
    const params = { phone_number: "79001234567", body: "Заказ №7 оформлен", request_id: "order-7" };
    const first = await json(await h.get(`${base}/sendText`, params));
    const repeat = await json(await h.postJson(`${base}/sendText`, { ...params, body: "changed text is ignored" }));
    expect(repeat).toEqual(first);

    const before = h.sends().length;
    await h.runOutbox();
    expect(h.sends().length - before).toBe(1);

    // 23 h later the answer is still the first message, now sent
    h.clock.advance(23 * HOUR);
    const later = await json(await h.postForm(`${base}/sendText`, params));
    // once sent, the answer names the channel that sent it (its own: no failover)
    expect(later).toEqual({ ok: true, message_id: first.message_id, status: "sent", sent_via: { channel_id: channel.id, name: channel.name } });
    expect(await h.runOutbox()).toBe(0);

    h.clock.advance(2 * HOUR);
    const fresh = await json(await h.get(`${base}/sendText`, params));
    expect(fresh.message_id).not.toBe(first.message_id);
    expect(fresh.status).toBe("queued");
    await h.runOutbox();
    expect(h.sends().length - before).toBe(2);
    const again = await json(await h.get(`${base}/sendText`, params));
    expect(again.message_id).toBe(fresh.message_id);
  });

  it("a request_id repeated through a regenerated token is still a repeat (the key is the channel's)", async () => {
    const { channel, base } = await h.channel();
    const params = { phone_number: "79001234567", body: "Оплата получена", request_id: "pay-42" };
    const first = await json(await h.get(`${base}/sendText`, params));
    const fresh = await regenerateWebhookToken(h.deps, channel);
    const repeat = await json(await h.get(`/rest/webhook/${fresh.kind}/${fresh.token}/sendText`, params));
    expect(repeat.message_id).toBe(first.message_id);
    await h.runOutbox();
  });

  it("concurrent repeats right as the 24 h window ends still make exactly one new message", async () => {
    const { base } = await h.channel();
    const params = { phone_number: "79001234567", body: "Напоминание", request_id: "remind-1" };
    const first = await json(await h.get(`${base}/sendText`, params));
    h.clock.advance(24 * HOUR);
    const answers = await Promise.all([h.get(`${base}/sendText`, params), h.postJson(`${base}/sendText`, params)]);
    const ids = new Set<unknown>();
    for (const res of answers) ids.add((await json(res)).message_id);
    expect(ids.size).toBe(1);
    expect(ids.has(first.message_id)).toBe(false);
    await h.runOutbox();
  });

  it("wait=3 holds the answer until the provider accepted the message", async () => {
    const { base } = await h.channel();
    h.autoProcess = true;
    try {
      const res = await h.get(`${base}/sendText`, { phone_number: "79001234567", body: "wait for me", wait: "3" });
      expect(res.status).toBe(200);
      const body = await json(res);
      expect(body).toMatchObject({ ok: true, status: "sent" });
      expect(h.sends().at(-1)?.body).toEqual({ recipient: "79001234567", body: "wait for me" });
    } finally {
      h.autoProcess = false;
      await h.settle();
    }
  });

  it("send_to_imol=Y is stored, reported, and mirrored into a bound Bitrix24 Open Line in the same transaction", async () => {
    const bound = await h.channel();
    await h.t.db.insert(lineBindings).values({ channelId: bound.channel.id, crm: "bitrix24", lineId: "5" });
    const res = await json(await h.get(`${bound.base}/sendText`, { phone_number: "79001234567", body: "в чат", send_to_imol: "Y" }));
    const id = String(res.message_id);
    const [row] = await h.t.db.select().from(messages).where(eq(messages.id, id));
    expect(row?.sendToImol).toBe(true);
    const mirror = await h.t.db
      .select()
      .from(outboxJobs)
      .where(and(eq(outboxJobs.kind, MIRROR_OUTGOING_JOB), eq(outboxJobs.dedupKey, `${MIRROR_OUTGOING_JOB}:${id}`)));
    expect(mirror).toHaveLength(1);
    expect(mirror[0]!.payload).toEqual({ messageId: id });

    const status = await json(await h.get(`${bound.base}/checkMessageStatus`, { message_id: id, phone_number: "79001234567" }));
    expect(status).toMatchObject({ ok: true, message_id: id, send_to_imol: true });

    // no binding: the flag is stored, no mirror job
    const unbound = await h.channel();
    const plain = await json(await h.postJson(`${unbound.base}/sendText`, { phone_number: "79001234567", body: "x", send_to_imol: true }));
    const [plainRow] = await h.t.db.select().from(messages).where(eq(messages.id, String(plain.message_id)));
    expect(plainRow?.sendToImol).toBe(true);
    const none = await h.t.db.select().from(outboxJobs).where(eq(outboxJobs.dedupKey, `${MIRROR_OUTGOING_JOB}:${String(plain.message_id)}`));
    expect(none).toHaveLength(0);
  });

  it("a Telegram channel sends to a chat_id without a phone", async () => {
    const { base } = await h.channel({ messenger: "telegram" });
    const res = await h.postJson(`${base}/sendText`, { chat_id: "123456789", body: "hello from tg" });
    expect(res.status).toBe(200);
    const body = await json(res);
    await h.runOutbox();
    expect(h.sends("telegram").at(-1)).toEqual({ path: "/tapi/sync/message/send", body: { recipient: "123456789", body: "hello from tg" } });
    const status = await json(await h.get(`${base}/checkMessageStatus`, { message_id: String(body.message_id), chat_id: "123456789" }));
    expect(status).toMatchObject({ ok: true, status: "sent", chat_id: "123456789" });
    expect(h.wappi.telegram.violations).toEqual([]);
  });
});
