import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Channel, createChannel } from "../../../app/core/channels.js";
import { ManualClock } from "../../../app/core/clock.js";
import { FAILOVER_NOTE_JOB } from "../../../app/core/failover.js";
import { CRM_DELIVER_JOB, recordProviderEvents } from "../../../app/core/messages/inbound.js";
import { queueOutgoing } from "../../../app/core/messages/outgoing.js";
import { processDue } from "../../../app/core/outbox/pump.js";
import { channelEvents, channels, conversations, lineBindings, messages, outboxJobs } from "../../../app/db/schema.js";
import type { AppDeps } from "../../../app/deps.js";
import { buildRegistry } from "../../../app/jobs.js";
import { backends, openTestDb, type TestDb } from "../../support/db.js";
import { testConfig, testDeps } from "../../support/deps.js";
import type { FakeServer } from "../../support/fake-server.js";
import { seedPortal } from "../../support/channels.js";
import { Recorder, serveFake } from "../../providers/provider-fake.js";
import { createWappiFake, WAPPI_PROFILE, WAPPI_TOKEN } from "../../providers/wappi/fake.js";

const CLIENT = "79115576366";
const SEND_PATH = "/api/sync/message/send";

describe.each(await backends())("failover between a portal's channels on %s", (backend) => {
  let t: TestDb;
  let deps: AppDeps;
  const clock = new ManualClock(Date.UTC(2026, 11, 4, 9, 0, 0));
  const main = new Recorder();
  const backup = new Recorder();
  let mainFake: FakeServer;
  let backupFake: FakeServer;

  beforeAll(async () => {
    t = await openTestDb(backend);
    deps = await testDeps(t.db, { clock, config: testConfig({ FAILOVER_FAILURES: "2", FAILOVER_MINUTES: "1" }) });
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
    clock.set(Date.UTC(2026, 11, 4, 9, 0, 0));
    await t.db.execute(sql`truncate outbox_jobs, pace_slots, portals cascade`);
  });

  /** A portal with "Main" (bound to an Open Line) whose fallback is "Backup" (unbound), both Wappi numbers paced 1 s apart. */
  async function group(): Promise<{ a: Channel; b: Channel }> {
    const portalId = await seedPortal(deps, `member-${crypto.randomUUID().slice(0, 8)}`);
    const make = async (name: string, url: string) =>
      (await createChannel(deps.db, deps.keyring, { portalId, provider: "wappi", name, credentials: { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, apiUrl: url } })).channel;
    const b = await make("Backup", backupFake.url);
    const a0 = await make("Main", mainFake.url);
    await t.db.insert(lineBindings).values({ channelId: a0.id, crm: "bitrix24", lineId: "1" });
    await t.db.update(channels).set({ paceMinMs: 1000, paceJitterMs: 0 }).where(eq(channels.portalId, portalId));
    const [a] = await t.db.update(channels).set({ fallbackIds: [b.id] }).where(eq(channels.id, a0.id)).returning();
    const [bRow] = await t.db.select().from(channels).where(eq(channels.id, b.id));
    return { a: a!, b: bRow! };
  }
  const reload = async (id: string) => (await t.db.select().from(channels).where(eq(channels.id, id)))[0]!;
  const drain = () => processDue({ db: t.db, registry: buildRegistry(deps), clock, logger: deps.logger, batch: 10, concurrency: 4, leaseMs: 30_000 });
  /** Runs due jobs, moving the clock past each pacing interval, until nothing is left to run now. */
  async function settle(rounds = 8): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      await drain();
      clock.advance(1_100);
    }
  }
  const send = (channel: Channel, text: string, key = crypto.randomUUID(), peer = CLIENT) =>
    queueOutgoing(deps, { channel, peer: { phone: peer }, content: { type: "text", text }, origin: "openlines", dedupKey: `test:${key}` });
  const sends = (r: Recorder) => r.requests.filter((q) => q.path === SEND_PATH).map((q) => JSON.parse(q.body) as { body: string; recipient: string });

  it("a message of a banned channel goes out through its fallback, recorded as sent by it, with one failover event and one CRM note per conversation", async () => {
    const { a, b } = await group();
    await t.db.update(channels).set({ state: "banned" }).where(eq(channels.id, a.id));
    const first = await send(await reload(a.id), "first");
    const second = await send(await reload(a.id), "second");
    await settle();

    expect(sends(main)).toEqual([]);
    expect(sends(backup).map((s) => s.body)).toEqual(["first", "second"]);
    const rows = await t.db.select().from(messages).where(eq(messages.channelId, a.id));
    expect(rows.map((r) => [r.status, r.viaChannelId])).toEqual([
      ["sent", b.id],
      ["sent", b.id],
    ]);
    // paced as the fallback's own number: its jobs were moved to its pace key
    const jobs = await t.db.select().from(outboxJobs).where(eq(outboxJobs.kind, "message.send"));
    expect(jobs.map((j) => j.paceKey)).toEqual([`channel:${b.id}`, `channel:${b.id}`]);
    expect(jobs.map((j) => j.attempts)).toEqual([1, 1]);

    const events = await t.db.select().from(channelEvents).where(eq(channelEvents.channelId, a.id));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: "failover", data: { via: b.id, via_name: "Backup", reason: "banned" } });
    const notes = await t.db.select().from(outboxJobs).where(eq(outboxJobs.kind, FAILOVER_NOTE_JOB));
    expect(notes).toHaveLength(1);
    expect(notes[0]!.payload).toEqual({ messageId: first.message.id, reason: "banned" });
    expect((await reload(a.id)).failoverSince).not.toBeNull();
    expect(second.message.id).not.toBe(first.message.id);
  });

  it("a channel whose provider keeps failing counts as down after FAILOVER_FAILURES over FAILOVER_MINUTES, then its fallback sends", async () => {
    const { a, b } = await group();
    for (let i = 0; i < 3; i++) main.answerNext({ status: 503, body: { status: "error", detail: "maintenance" } });
    const { message } = await send(a, "hello");
    await drain(); // 503: one failure
    expect((await reload(a.id)).sendFailures).toBe(1);
    clock.advance(70_000);
    await drain(); // 503 again: two failures over more than a minute: down
    expect((await reload(a.id)).sendFailures).toBe(2);
    clock.advance(10_000);
    await settle();

    expect(sends(main)).toHaveLength(2);
    expect(sends(backup).map((s) => s.body)).toEqual(["hello"]);
    const [row] = await t.db.select().from(messages).where(eq(messages.id, message.id));
    expect(row).toMatchObject({ status: "sent", viaChannelId: b.id });
    const [event] = await t.db.select().from(channelEvents).where(eq(channelEvents.channelId, a.id));
    expect(event).toMatchObject({ kind: "failover", data: { reason: "down" } });

    // a window after its last failure the channel is probed with the next send; a success ends the failover
    clock.advance(61_000);
    main.reset();
    await send(await reload(a.id), "probe");
    await settle();
    expect(sends(main).map((s) => s.body)).toEqual(["probe"]);
    expect(await reload(a.id)).toMatchObject({ sendFailures: 0, failingSince: null, failoverSince: null });
    const kinds = (await t.db.select().from(channelEvents).where(eq(channelEvents.channelId, a.id))).map((e) => e.kind).sort();
    expect(kinds).toEqual(["failover", "recovered"]);
  });

  it("one success of the primary ends the failover and is recorded as recovered", async () => {
    const { a } = await group();
    await t.db.update(channels).set({ state: "banned" }).where(eq(channels.id, a.id));
    await send(await reload(a.id), "via backup");
    await settle();
    await t.db.update(channels).set({ state: "connected" }).where(eq(channels.id, a.id));
    await send(await reload(a.id), "own again");
    await settle();

    expect(sends(main).map((s) => s.body)).toEqual(["own again"]);
    const after = await reload(a.id);
    expect(after).toMatchObject({ failoverSince: null, sendFailures: 0 });
    const kinds = (await t.db.select().from(channelEvents).where(eq(channelEvents.channelId, a.id))).map((e) => e.kind).sort();
    expect(kinds).toEqual(["failover", "recovered"]);
  });

  it("a refusal of the channel's credentials marks it unauthorized and the same message goes through the fallback, not failed", async () => {
    const { a, b } = await group();
    main.answerNext({ status: 401, body: { status: "error", detail: "Invalid token" } });
    const { message } = await send(a, "refused then rerouted");
    await settle();
    const [row] = await t.db.select().from(messages).where(eq(messages.id, message.id));
    expect(row).toMatchObject({ status: "sent", viaChannelId: b.id });
    expect((await reload(a.id)).state).toBe("unauthorized");
    expect(sends(main)).toHaveLength(1);
    expect(sends(backup).map((s) => s.body)).toEqual(["refused then rerouted"]);
    const [job] = await t.db.select().from(outboxJobs).where(eq(outboxJobs.kind, "message.send"));
    // the refusal moved the message on without using up an attempt
    expect(job).toMatchObject({ status: "done", attempts: 1 });
  });

  it("without a fallback that can send, a refused channel's message fails as before", async () => {
    const { a, b } = await group();
    await t.db.update(channels).set({ state: "banned" }).where(eq(channels.id, b.id));
    main.answerNext({ status: 401, body: { status: "error", detail: "Invalid token" } });
    const { message } = await send(a, "nowhere to go");
    await settle();
    const [row] = await t.db.select().from(messages).where(eq(messages.id, message.id));
    expect(row).toMatchObject({ status: "failed", errorCode: "invalid_credentials", viaChannelId: null });
    expect(sends(backup)).toEqual([]);
  });

  it("a status from the fallback's webhook moves the message it sent", async () => {
    const { a, b } = await group();
    await t.db.update(channels).set({ state: "banned" }).where(eq(channels.id, a.id));
    const { message } = await send(await reload(a.id), "status please");
    await settle();
    const [sent] = await t.db.select().from(messages).where(eq(messages.id, message.id));
    await recordProviderEvents(deps, b, [{ type: "status", eventId: "st-1", providerMessageId: sent!.providerMessageId!, status: "delivered", at: clock.now() }]);
    const [row] = await t.db.select().from(messages).where(eq(messages.id, message.id));
    expect(row!.status).toBe("delivered");
  });

  it("a client writing to the fallback lands in the primary's conversation and CRM line, and replies go back through the number they wrote to", async () => {
    const { a, b } = await group();
    await send(a, "from main");
    await settle();
    const incoming = (id: string, text: string) => ({
      type: "incoming" as const,
      eventId: id,
      providerMessageId: id,
      peer: { phone: CLIENT },
      text,
      files: [],
      at: clock.now(),
    });
    const result = await recordProviderEvents(deps, b, [incoming("in-1", "answering the backup number")]);
    expect(result.stored).toBe(1);
    const [stored] = await t.db.select().from(messages).where(eq(messages.dedupKey, `in:${b.id}:in-1`));
    expect(stored).toMatchObject({ channelId: a.id, viaChannelId: b.id, direction: "in" });
    const [conversation] = await t.db.select().from(conversations).where(and(eq(conversations.channelId, a.id), eq(conversations.peer, CLIENT)));
    expect(stored!.conversationId).toBe(conversation!.id);
    expect(conversation!.lastInboundVia).toBe(b.id);
    const deliver = await t.db.select().from(outboxJobs).where(eq(outboxJobs.dedupKey, `${CRM_DELIVER_JOB}:${stored!.id}`));
    expect(deliver).toHaveLength(1);

    await send(a, "reply one");
    await settle();
    expect(sends(backup).map((s) => s.body)).toEqual(["reply one"]);
    // not a failover: the primary can send, the client chose the number
    expect(await t.db.select().from(channelEvents)).toEqual([]);

    await recordProviderEvents(deps, a, [incoming("in-2", "back on the main number")]);
    await send(a, "reply two");
    await settle();
    expect(sends(main).map((s) => s.body)).toEqual(["from main", "reply two"]);
  });
});
