import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { recordProviderEvents } from "../../../app/core/messages/inbound.js";
import { LATE_STATUS_JOB } from "../../../app/core/messages/record-status.js";
import { advances, applyStatus, historyTime, type Message } from "../../../app/core/messages/status.js";
import { type MessageStatus, messages, outboxJobs } from "../../../app/db/schema.js";
import type { AppDeps } from "../../../app/deps.js";
import noChatId from "../../../app/providers/greenapi/fixtures/webhook-outgoing-message-status-failed-no-chat-id.json";
import statusDelivered from "../../../app/providers/greenapi/fixtures/webhook-outgoing-message-status-delivered.json";
import { greenapi } from "../../../app/providers/greenapi/index.js";
import type { DeliveryStatus, ProviderEvent } from "../../../app/providers/types.js";
import { backends, openTestDb, type TestDb } from "../../support/db.js";
import { testDeps } from "../../support/deps.js";
import { seedChannel } from "../../support/channels.js";
import { providerContext, webhookRequest } from "../../providers/provider-fake.js";

const HOOK_TOKEN = "whk_0123456789abcdef";
const greenCreds = { idInstance: "1101000001", apiTokenInstance: "token-1101000001", webhookUrlToken: HOOK_TOKEN };

describe("status ladder (advances)", () => {
  const cases: Array<[MessageStatus, MessageStatus, boolean]> = [
    ["queued", "sent", true],
    ["queued", "delivered", true],
    ["queued", "failed", true],
    ["sent", "delivered", true],
    ["sent", "read", true],
    ["sent", "failed", true],
    ["delivered", "read", true],
    // out of order: never backwards
    ["delivered", "sent", false],
    ["read", "delivered", false],
    ["read", "sent", false],
    ["sent", "sent", false],
    ["delivered", "delivered", false],
    // delivered/read prove it arrived: a later failed does not undo that
    ["delivered", "failed", false],
    ["read", "failed", false],
    // failed is final: a late sent/delivered/read report does not revive it, a second failed is a duplicate
    ["failed", "sent", false],
    ["failed", "delivered", false],
    ["failed", "read", false],
    ["failed", "failed", false],
    ["sent", "queued", false],
  ];
  it.each(cases)("%s → %s advances: %s", (current, next, expected) => {
    expect(advances(current, next)).toBe(expected);
  });
});

describe("historyTime", () => {
  const created = new Date("2026-01-10T10:00:00.000Z");
  const message = (history: Message["statusHistory"]) => ({ createdAt: created, statusHistory: history });

  it("keeps the provider's time when it is after the message's creation and last status", () => {
    const at = new Date("2026-01-10T10:00:05.000Z");
    expect(historyTime(message([{ status: "queued", at: created.toISOString() }]), at)).toEqual(at);
  });

  it("a provider time before the message was queued (clock skew) is moved up to the creation", () => {
    expect(historyTime(message([{ status: "queued", at: created.toISOString() }]), new Date("2026-01-10T09:59:00.000Z"))).toEqual(created);
  });

  it("never before the status it follows", () => {
    const sentAt = "2026-01-10T10:00:03.000Z";
    const history = [
      { status: "queued" as const, at: created.toISOString() },
      { status: "sent" as const, at: sentAt },
    ];
    expect(historyTime(message(history), new Date("2026-01-10T10:00:01.000Z"))).toEqual(new Date(sentAt));
  });

  it("an invalid provider time falls back to the floor", () => {
    expect(historyTime(message([]), new Date(Number.NaN))).toEqual(created);
  });
});

describe.each(await backends())("provider statuses recorded on %s", (backend) => {
  let t: TestDb;
  let deps: AppDeps;
  beforeAll(async () => {
    t = await openTestDb(backend);
    deps = await testDeps(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.db.execute(sql`truncate outbox_jobs, pace_slots, portals cascade`);
  });

  async function sentMessage(channelId: string, providerMessageId: string, createdAt = new Date()): Promise<Message> {
    const [row] = await t.db
      .insert(messages)
      .values({
        channelId,
        direction: "out",
        origin: "webhook_api",
        peer: "79001234568",
        body: "Здравствуйте",
        providerMessageId,
        status: "sent",
        statusHistory: [
          { status: "queued", at: createdAt.toISOString() },
          { status: "sent", at: createdAt.toISOString() },
        ],
        dedupKey: `test:${crypto.randomUUID()}`,
        createdAt,
        updatedAt: createdAt,
      })
      .returning();
    return row!;
  }
  const reload = async (id: string) => (await t.db.select().from(messages).where(eq(messages.id, id)))[0]!;

  async function greenEvents(body: object): Promise<ProviderEvent[]> {
    const ctx = providerContext(greenapi, { credentials: greenCreds, messenger: "whatsapp" });
    return greenapi.parseWebhook(webhookRequest({ body, headers: { authorization: `Bearer ${HOOK_TOKEN}` } }), ctx);
  }

  it("a Green-API status without chatId (English docs' example) fails the message it names by idMessage", async () => {
    const { channel } = await seedChannel(deps, "greenapi", greenCreds);
    const sent = await sentMessage(channel.id, `79001234568@c.us_${noChatId.idMessage}`);
    const other = await sentMessage(channel.id, "79001234568@c.us_BAE5F4886F6F2D05");
    const result = await recordProviderEvents(deps, channel, await greenEvents(noChatId));
    expect(result.statuses).toBe(1);
    const row = await reload(sent.id);
    expect(row.status).toBe("failed");
    expect(row.errorMessage).toBe("failed: SWE004: 1000");
    expect((await reload(other.id)).status).toBe("sent");
    expect(await t.db.select().from(outboxJobs).where(eq(outboxJobs.kind, LATE_STATUS_JOB))).toEqual([]);
  });

  it("the same status with chatId (Russian docs' example) still matches exactly", async () => {
    const { channel } = await seedChannel(deps, "greenapi", greenCreds);
    const sent = await sentMessage(channel.id, `${statusDelivered.chatId}_${statusDelivered.idMessage}`);
    await recordProviderEvents(deps, channel, await greenEvents(statusDelivered));
    expect((await reload(sent.id)).status).toBe("delivered");
  });

  it("without chatId an idMessage found in two chats of the channel is not guessed: the status waits as a late status", async () => {
    const { channel } = await seedChannel(deps, "greenapi", greenCreds);
    const a = await sentMessage(channel.id, `79001234568@c.us_${noChatId.idMessage}`);
    const b = await sentMessage(channel.id, `79001234569@c.us_${noChatId.idMessage}`);
    await recordProviderEvents(deps, channel, await greenEvents(noChatId));
    expect((await reload(a.id)).status).toBe("sent");
    expect((await reload(b.id)).status).toBe("sent");
    expect(await t.db.select().from(outboxJobs).where(eq(outboxJobs.kind, LATE_STATUS_JOB))).toHaveLength(1);
  });

  it("without chatId a message of another channel is never matched", async () => {
    const { channel } = await seedChannel(deps, "greenapi", greenCreds);
    const { channel: another } = await seedChannel(deps, "greenapi", greenCreds);
    const elsewhere = await sentMessage(another.id, `79001234568@c.us_${noChatId.idMessage}`);
    await recordProviderEvents(deps, channel, await greenEvents(noChatId));
    expect((await reload(elsewhere.id)).status).toBe("sent");
  });

  const status = (providerMessageId: string, s: DeliveryStatus, at: Date, n: number): ProviderEvent => ({
    type: "status",
    eventId: `test:${providerMessageId}:${s}:${n}`,
    providerMessageId,
    status: s,
    at,
  });

  it("out-of-order webhooks never move a status backwards and keep the history in order", async () => {
    const { channel } = await seedChannel(deps, "gateway", {});
    const base = Date.now();
    const sent = await sentMessage(channel.id, "gw-1", new Date(base));
    // read first, then the delivered and a late sent: both older news
    await recordProviderEvents(deps, channel, [status("gw-1", "read", new Date(base + 3_000), 1)]);
    await recordProviderEvents(deps, channel, [status("gw-1", "delivered", new Date(base + 2_000), 2)]);
    await recordProviderEvents(deps, channel, [status("gw-1", "sent", new Date(base + 1_000), 3)]);
    const row = await reload(sent.id);
    expect(row.status).toBe("read");
    expect(row.statusHistory.map((h) => h.status)).toEqual(["queued", "sent", "read"]);
  });

  it("delivered before sent: the later sent does not step back", async () => {
    const { channel } = await seedChannel(deps, "gateway", {});
    const sent = await sentMessage(channel.id, "gw-2");
    await recordProviderEvents(deps, channel, [status("gw-2", "delivered", new Date(), 1), status("gw-2", "sent", new Date(), 2)]);
    expect((await reload(sent.id)).status).toBe("delivered");
  });

  it("failed after delivered is not recorded (the client has it); failed after sent is", async () => {
    const { channel } = await seedChannel(deps, "gateway", {});
    const delivered = await sentMessage(channel.id, "gw-3");
    const onlySent = await sentMessage(channel.id, "gw-4");
    await recordProviderEvents(deps, channel, [status("gw-3", "delivered", new Date(), 1), status("gw-3", "failed", new Date(), 2)]);
    await recordProviderEvents(deps, channel, [status("gw-4", "failed", new Date(), 3), status("gw-4", "delivered", new Date(), 4)]);
    expect((await reload(delivered.id)).status).toBe("delivered");
    const failed = await reload(onlySent.id);
    expect(failed.status).toBe("failed");
    expect(failed.statusHistory.map((h) => h.status)).toEqual(["queued", "sent", "failed"]);
  });

  it("a status dated before the message was queued sorts after the message's creation, not before", async () => {
    const { channel } = await seedChannel(deps, "gateway", {});
    const created = new Date(Date.now() - 1_000);
    const message = await sentMessage(channel.id, "gw-5", created);
    // the provider's clock is two minutes behind ours
    const skewed = new Date(created.getTime() - 120_000);
    await recordProviderEvents(deps, channel, [status("gw-5", "delivered", skewed, 1)]);
    const row = await reload(message.id);
    expect(row.status).toBe("delivered");
    const times = row.statusHistory.map((h) => Date.parse(h.at));
    expect(times.at(-1)).toBeGreaterThanOrEqual(row.createdAt.getTime());
    // sorted by time, the history reads as it happened
    expect([...row.statusHistory].sort((a, b) => Date.parse(a.at) - Date.parse(b.at)).map((h) => h.status)).toEqual(["queued", "sent", "delivered"]);
    expect(row.updatedAt.getTime()).toBeGreaterThanOrEqual(row.createdAt.getTime());
  });

  it("a provider time after the creation is kept as the provider sent it", async () => {
    const { channel } = await seedChannel(deps, "gateway", {});
    const created = new Date(Date.now() - 60_000);
    const message = await sentMessage(channel.id, "gw-6", created);
    const at = new Date(created.getTime() + 30_000);
    const updated = await applyStatus(t.db, message, { status: "read", at });
    expect(updated!.statusHistory.at(-1)!.at).toBe(at.toISOString());
  });
});
