import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordChannelEvent } from "../../../app/core/failover.js";
import { channels, conversations, messages } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { AdminHarness } from "./harness.js";

describe.each(await backends())("admin API: failover groups, daily caps, channel events, time zone (%s)", (backend) => {
  const h = new AdminHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("happy: PATCH sets fallbacks in order and caps; the channel shows its group, caps and today's use; the fallback shows whom it serves", async () => {
    const { token } = await h.adminPortal();
    const main = await h.apiChannel(token, "Main");
    const b1 = await h.apiChannel(token, "Backup 1");
    const b2 = await h.apiChannel(token, "Backup 2");
    const patched = await h.call("PATCH", `/api/channels/${main}`, token, { fallbacks: [b2, b1], dailyMessageCap: 200, dailyNewChatCap: 20, capOverflow: "fallback" });
    expect(patched.status).toBe(200);
    expect(patched.body.channel).toMatchObject({
      group: { fallbacks: [b2, b1], fallback_for: [], blocked: null, failover_since: null, send_failures: 0 },
      daily_message_cap: 200,
      daily_new_chat_cap: 20,
      cap_overflow: "fallback",
      usage_today: { time_zone: "Europe/Moscow", messages: 0, new_chats: 0 },
    });
    const backup = await h.call("GET", `/api/channels/${b1}`, token);
    expect(backup.body.channel).toMatchObject({ group: { fallbacks: [], fallback_for: [main] }, daily_message_cap: null, cap_overflow: "wait" });

    const cleared = await h.call("PATCH", `/api/channels/${main}`, token, { fallbacks: [], dailyMessageCap: null, dailyNewChatCap: null });
    expect(cleared.body.channel).toMatchObject({ group: { fallbacks: [] }, daily_message_cap: null, daily_new_chat_cap: null });
  });

  it("switching a new-chats cap on counts the clients the channel already wrote to as known", async () => {
    const { token } = await h.adminPortal();
    const id = await h.apiChannel(token, "Capped");
    const [conversation] = await h.t.db.insert(conversations).values({ channelId: id, peer: "79001112233" }).returning();
    await h.t.db.insert(messages).values({
      channelId: id,
      conversationId: conversation!.id,
      direction: "out",
      origin: "webhook_api",
      peer: "79001112233",
      body: "earlier",
      providerMessageId: "p-1",
      status: "sent",
      dedupKey: `test:${crypto.randomUUID()}`,
    });
    expect((await h.call("PATCH", `/api/channels/${id}`, token, { dailyNewChatCap: 5 })).status).toBe(200);
    const [after] = await h.t.db.select().from(conversations).where(eq(conversations.id, conversation!.id));
    expect(after!.firstSentAt).not.toBeNull();
  });

  it("error: fallbacks must be other live channels of this portal and messenger, each once; caps positive; overflow wait|fallback", async () => {
    const { token } = await h.adminPortal();
    const other = await h.adminPortal();
    const main = await h.apiChannel(token, "Main");
    const backup = await h.apiChannel(token, "Backup");
    const foreign = await h.apiChannel(other.token, "Foreign");
    const deleted = await h.apiChannel(token, "Deleted");
    expect((await h.call("DELETE", `/api/channels/${deleted}`, token)).status).toBe(200);
    const telegram = await h.apiChannel(token, "Bot");
    await h.t.db.update(channels).set({ messenger: "telegram" }).where(eq(channels.id, telegram));

    for (const [body, field] of [
      [{ fallbacks: [main] }, "fallbacks"],
      [{ fallbacks: [backup, backup] }, "fallbacks"],
      [{ fallbacks: [foreign] }, "fallbacks"],
      [{ fallbacks: [deleted] }, "fallbacks"],
      [{ fallbacks: [telegram] }, "fallbacks"],
      [{ fallbacks: ["not-a-uuid"] }, "fallbacks.0"],
      [{ fallbacks: "x" }, "fallbacks"],
      [{ dailyMessageCap: 0 }, "dailyMessageCap"],
      [{ dailyNewChatCap: 1.5 }, "dailyNewChatCap"],
      [{ capOverflow: "drop" }, "capOverflow"],
    ] as const) {
      const res = await h.call("PATCH", `/api/channels/${main}`, token, body);
      expect(res, JSON.stringify(body)).toMatchObject({ status: 400, body: { ok: false, error: "invalid_parameter", field } });
    }
    expect((await h.call("GET", `/api/channels/${main}`, token)).body.channel).toMatchObject({ group: { fallbacks: [] }, daily_message_cap: null });
  });

  it("events: newest first, limited, only the session portal's channel", async () => {
    const { token } = await h.adminPortal();
    const other = await h.adminPortal();
    const id = await h.apiChannel(token, "Main");
    for (let i = 0; i < 3; i++) {
      await recordChannelEvent(h.t.db, id, { kind: "cap_reached", text: `cap ${i}`, data: { day: `2026-12-0${i + 1}` }, dedupKey: `t:${id}:${i}`, at: new Date(Date.UTC(2026, 11, i + 1)) });
    }
    const listed = await h.call("GET", `/api/channels/${id}/events?limit=2`, token);
    expect(listed.status).toBe(200);
    expect((listed.body.events as Array<{ text: string }>).map((e) => e.text)).toEqual(["cap 2", "cap 1"]);
    expect(listed.body.events).toContainEqual({ at: "2026-12-03T00:00:00.000Z", kind: "cap_reached", text: "cap 2", data: { day: "2026-12-03" } });
    expect(await h.call("GET", `/api/channels/${id}/events?limit=0`, token)).toMatchObject({ status: 400, body: { error: "invalid_parameter", field: "limit" } });
    expect(await h.call("GET", `/api/channels/${id}/events`, other.token)).toMatchObject({ status: 404, body: { error: "not_found" } });
    expect((await h.call("GET", `/api/channels/${id}/events`)).status).toBe(401);
  });

  it("portal time zone: follows the region until set; PATCH takes an IANA name and refuses others", async () => {
    const { token } = await h.adminPortal();
    expect((await h.call("GET", "/api/portal", token)).body.portal).toMatchObject({ time_zone: "Europe/Moscow", time_zone_is_default: true });
    expect((await h.call("PATCH", "/api/portal", token, { region: "KZ" })).body.portal).toMatchObject({ time_zone: "Asia/Almaty", time_zone_is_default: true });
    const set = await h.call("PATCH", "/api/portal", token, { timeZone: "Asia/Yekaterinburg" });
    expect(set.body.portal).toMatchObject({ region: "KZ", time_zone: "Asia/Yekaterinburg", time_zone_is_default: false });
    expect(await h.call("PATCH", "/api/portal", token, { timeZone: "Moscow time" })).toMatchObject({ status: 400, body: { error: "invalid_parameter", field: "timeZone" } });
  });
});
