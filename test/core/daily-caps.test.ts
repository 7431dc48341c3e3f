import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Channel, createChannel } from "../../app/core/channels.js";
import { ManualClock } from "../../app/core/clock.js";
import { reserveDailySend } from "../../app/core/daily-caps.js";
import { recordProviderEvents } from "../../app/core/messages/inbound.js";
import { queueOutgoing } from "../../app/core/messages/outgoing.js";
import { processDue } from "../../app/core/outbox/pump.js";
import { channelDailyUsage, channelEvents, channels, messages, outboxJobs, paceSlots, portals } from "../../app/db/schema.js";
import type { AppDeps } from "../../app/deps.js";
import { buildRegistry } from "../../app/jobs.js";
import { openDatabase } from "../../worker/node-db.js";
import { backends, openTestDb, type TestDb } from "../support/db.js";
import { testDeps } from "../support/deps.js";
import type { FakeServer } from "../support/fake-server.js";
import { seedPortal } from "../support/channels.js";
import { Recorder, serveFake } from "../providers/provider-fake.js";
import { createWappiFake, WAPPI_PROFILE, WAPPI_TOKEN } from "../providers/wappi/fake.js";

const SEND_PATH = "/api/sync/message/send";
/** 22:00 in Moscow (UTC+3): the portal's day ends in an hour */
const EVENING = Date.UTC(2026, 11, 4, 19, 0, 0);
const MOSCOW_MIDNIGHT = Date.UTC(2026, 11, 4, 21, 0, 0);

describe.each(await backends())("daily sending caps on %s", (backend) => {
  let t: TestDb;
  let deps: AppDeps;
  const clock = new ManualClock(EVENING);
  const main = new Recorder();
  const backup = new Recorder();
  let mainFake: FakeServer;
  let backupFake: FakeServer;

  beforeAll(async () => {
    t = await openTestDb(backend);
    deps = await testDeps(t.db, { clock });
    mainFake = await serveFake((r) => createWappiFake(r, "whatsapp"), main);
    backupFake = await serveFake((r) => createWappiFake(r, "whatsapp"), backup);
  });
  afterAll(async () => {
    await mainFake?.close();
    await backupFake?.close();
    await t?.close();
  });
  beforeEach(async () => {
    main.reset();
    backup.reset();
    clock.set(EVENING);
    await t.db.execute(sql`truncate outbox_jobs, pace_slots, portals cascade`);
  });

  /** "Main" with the given caps in a Moscow portal, and an uncapped "Backup" it may fall back to. */
  async function capped(caps: Partial<Pick<Channel, "dailyMessageCap" | "dailyNewChatCap" | "capOverflow">>, withFallback = false) {
    const portalId = await seedPortal(deps, `member-${crypto.randomUUID().slice(0, 8)}`);
    await t.db.update(portals).set({ settings: { region: "RU", timeZone: "Europe/Moscow" } }).where(eq(portals.id, portalId));
    const make = async (name: string, url: string) =>
      (await createChannel(deps.db, deps.keyring, { portalId, provider: "wappi", name, credentials: { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, apiUrl: url } })).channel;
    const b = await make("Backup", backupFake.url);
    const a = await make("Main", mainFake.url);
    await t.db.update(channels).set({ paceMinMs: 1000, paceJitterMs: 0 }).where(eq(channels.portalId, portalId));
    const [row] = await t.db
      .update(channels)
      .set({ ...caps, ...(withFallback ? { fallbackIds: [b.id] } : {}) })
      .where(eq(channels.id, a.id))
      .returning();
    return { a: row!, b };
  }
  const drain = () => processDue({ db: t.db, registry: buildRegistry(deps), clock, logger: deps.logger, batch: 10, concurrency: 4, leaseMs: 30_000 });
  async function settle(rounds = 6): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      await drain();
      clock.advance(1_100);
    }
  }
  const send = (channel: Channel, text: string, peer = "79115576366") =>
    queueOutgoing(deps, { channel, peer: { phone: peer }, content: { type: "text", text }, origin: "webhook_api", dedupKey: `test:${crypto.randomUUID()}` });
  const sent = (r: Recorder) => r.requests.filter((q) => q.path === SEND_PATH).map((q) => (JSON.parse(q.body) as { body: string }).body);

  it("a send over the daily cap waits for the portal's next day and goes out then, once, without using attempts", async () => {
    const { a } = await capped({ dailyMessageCap: 2 });
    for (const text of ["one", "two", "three"]) await send(a, text);
    await settle();
    expect(sent(main)).toEqual(["one", "two"]);
    const waiting = await t.db.select().from(messages).where(eq(messages.body, "three"));
    expect(waiting[0]!.status).toBe("queued");
    const [job] = await t.db.select().from(outboxJobs).where(eq(outboxJobs.payload, { messageId: waiting[0]!.id }));
    expect(job).toMatchObject({ status: "pending", attempts: 0 });
    expect(job!.runAt.getTime()).toBe(MOSCOW_MIDNIGHT);
    // the whole channel waits: its slot is held until the new day
    const [slot] = await t.db.select().from(paceSlots).where(eq(paceSlots.key, `channel:${a.id}`));
    expect(slot!.nextAt.getTime()).toBe(MOSCOW_MIDNIGHT);
    const [event] = await t.db.select().from(channelEvents).where(eq(channelEvents.channelId, a.id));
    expect(event).toMatchObject({ kind: "cap_reached", data: { cap: "messages", day: "2026-12-04" } });

    clock.set(MOSCOW_MIDNIGHT - 1_000);
    await drain();
    expect(sent(main)).toEqual(["one", "two"]);
    clock.set(MOSCOW_MIDNIGHT + 1_000);
    await settle();
    expect(sent(main)).toEqual(["one", "two", "three"]);
    const usage = await t.db.select().from(channelDailyUsage).where(eq(channelDailyUsage.channelId, a.id));
    expect(usage.map((u) => [u.day, u.messages]).sort()).toEqual([
      ["2026-12-04", 2],
      ["2026-12-05", 1],
    ]);
  });

  it("with overflow set to fallback, a send over the cap goes out through the fallback channel the same day", async () => {
    const { a, b } = await capped({ dailyMessageCap: 1, capOverflow: "fallback" }, true);
    await send(a, "own");
    await send(a, "overflow");
    await settle();
    expect(sent(main)).toEqual(["own"]);
    expect(sent(backup)).toEqual(["overflow"]);
    const [row] = await t.db.select().from(messages).where(eq(messages.body, "overflow"));
    expect(row).toMatchObject({ status: "sent", viaChannelId: b.id });
  });

  it("the new-chats cap counts only first messages to numbers that never wrote to the channel", async () => {
    const { a } = await capped({ dailyNewChatCap: 1 });
    // a client who wrote first is not a new chat
    await recordProviderEvents(deps, a, [{ type: "incoming", eventId: "e1", providerMessageId: "p1", peer: { phone: "79000000003" }, text: "hi", files: [], at: clock.now() }]);
    await send(a, "to new 1", "79000000001");
    await send(a, "to new 1 again", "79000000001");
    await send(a, "to known 3", "79000000003");
    await send(a, "to new 2", "79000000002");
    await settle();
    expect(sent(main)).toEqual(["to new 1", "to new 1 again", "to known 3"]);
    const [usage] = await t.db.select().from(channelDailyUsage).where(eq(channelDailyUsage.channelId, a.id));
    expect(usage).toMatchObject({ messages: 3, newChats: 1 });
    clock.set(MOSCOW_MIDNIGHT + 1_000);
    await settle();
    expect(sent(main)).toEqual(["to new 1", "to new 1 again", "to known 3", "to new 2"]);
  });

  it("a send the provider refused gives its place back", async () => {
    const { a } = await capped({ dailyMessageCap: 1 });
    main.answerNext({ status: 503, body: { status: "error", detail: "maintenance" } });
    await send(a, "retried");
    await drain();
    const [usage] = await t.db.select().from(channelDailyUsage).where(eq(channelDailyUsage.channelId, a.id));
    expect(usage!.messages).toBe(0);
    clock.advance(120_000);
    await settle();
    expect(sent(main)).toEqual(["retried", "retried"]);
  });

  it("the cap holds under concurrent reservations from several processes (it lives in the database)", async () => {
    const { a } = await capped({ dailyMessageCap: 5 });
    // PostgreSQL: a second pool on the same database, as a second process would have; PGlite has one connection
    const second = t.url ? await openDatabase({ url: t.url, poolSize: 5 }) : undefined;
    const other = second ?? t;
    try {
      const tries = Array.from({ length: 24 }, (_, i) => reserveDailySend(i % 2 ? other.db : t.db, a, `7900000${String(i).padStart(4, "0")}`, clock.now(), "Europe/Moscow"));
      const results = await Promise.all(tries);
      expect(results.filter((r) => r.ok)).toHaveLength(5);
      expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.cap === "messages")).toBe(true);
      const [usage] = await t.db.select().from(channelDailyUsage).where(eq(channelDailyUsage.channelId, a.id));
      expect(usage!.messages).toBe(5);
    } finally {
      await second?.close();
    }
  });
});
