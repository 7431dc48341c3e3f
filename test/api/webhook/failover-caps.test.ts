import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { channels, messages } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { json, WebhookHarness } from "./harness.js";

describe.each(await backends())("webhook API with failover groups and daily caps (%s)", (backend) => {
  const h = new WebhookHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  /** A Wappi channel whose fallback is a Wahelp channel of the same portal. */
  async function grouped(state: string) {
    const primary = await h.channel({ state, portalSettings: { region: "RU", timeZone: "Europe/Moscow" } });
    const fallback = await h.channel({ provider: "wahelp", portalId: primary.channel.portalId! });
    await h.t.db.update(channels).set({ fallbackIds: [fallback.channel.id] }).where(eq(channels.id, primary.channel.id));
    return { primary, fallback };
  }
  const wahelpSends = () => h.wahelp.requests.filter((r) => r.method === "POST" && /message/i.test(r.path));

  it("a banned channel without a fallback refuses the send; with one that can send, the message is accepted and the answers name the fallback", async () => {
    const alone = await h.channel({ state: "banned" });
    const refused = await h.get(`${alone.base}/sendText`, { phone_number: "79001234567", body: "x" });
    expect(refused.status).toBe(409);
    expect(await json(refused)).toMatchObject({ ok: false, error: "channel_not_connected" });

    const { primary, fallback } = await grouped("banned");
    const before = wahelpSends().length;
    const accepted = await h.get(`${primary.base}/sendText`, { phone_number: "79001234567", body: "через резервный номер" });
    expect(accepted.status).toBe(200);
    const queued = await json(accepted);
    expect(queued).toEqual({ ok: true, message_id: expect.any(String), status: "queued" });
    await h.runOutbox();
    h.clock.advance(5_000);
    await h.runOutbox();
    expect(wahelpSends().length - before).toBe(1);
    expect(h.sends().filter((s) => s.body.body === "через резервный номер")).toEqual([]);

    const status = await json(await h.get(`${primary.base}/checkMessageStatus`, { message_id: String(queued.message_id), phone_number: "79001234567" }));
    expect(status).toMatchObject({ ok: true, status: "sent", sent_via: { channel_id: fallback.channel.id, name: fallback.channel.name } });
    // a repeat of the same request names the sender too
    const [row] = await h.t.db.select().from(messages).where(eq(messages.id, String(queued.message_id)));
    expect(row!.viaChannelId).toBe(fallback.channel.id);
  });

  it("if_capped=fail answers daily_cap_reached once the cap is used and queues nothing; the default queues for the next day", async () => {
    const { channel, base } = await h.channel({ portalSettings: { region: "RU", timeZone: "Europe/Moscow" } });
    await h.t.db.update(channels).set({ dailyMessageCap: 1 }).where(eq(channels.id, channel.id));
    const first = await h.get(`${base}/sendText`, { phone_number: "79001234567", body: "first", if_capped: "fail" });
    expect(first.status).toBe(200);
    await h.runOutbox();

    const count = async () => (await h.t.db.select().from(messages).where(eq(messages.channelId, channel.id))).length;
    const capped = await h.get(`${base}/sendText`, { phone_number: "79001234567", body: "second", if_capped: "fail" });
    expect(capped.status).toBe(429);
    expect(await json(capped)).toMatchObject({ ok: false, error: "daily_cap_reached" });
    expect(await count()).toBe(1);

    const waits = await h.postForm(`${base}/sendText`, { phone_number: "79001234567", body: "second" });
    expect(waits.status).toBe(200);
    expect(await json(waits)).toMatchObject({ ok: true, status: "queued" });
    expect(await count()).toBe(2);

    const bad = await h.get(`${base}/sendText`, { phone_number: "79001234567", body: "x", if_capped: "sometimes" });
    expect(bad.status).toBe(400);
    expect(await json(bad)).toMatchObject({ ok: false, error: "invalid_parameter", field: "if_capped" });
  });

  it("if_capped=fail still accepts a send over the cap when the overflow goes to a fallback with room", async () => {
    const { primary } = await grouped("connected");
    await h.t.db.update(channels).set({ dailyMessageCap: 1, capOverflow: "fallback" }).where(eq(channels.id, primary.channel.id));
    expect((await h.get(`${primary.base}/sendText`, { phone_number: "79001234567", body: "own" })).status).toBe(200);
    await h.runOutbox();
    const overflow = await h.get(`${primary.base}/sendText`, { phone_number: "79001234567", body: "to the fallback", if_capped: "fail" });
    expect(overflow.status).toBe(200);
  });
});
