import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../app/core/clock.js";
import { queueOutgoing } from "../../app/core/messages/outgoing.js";
import { processDue } from "../../app/core/outbox/pump.js";
import { DEFAULT_POLL_INTERVAL_MS, ensurePolling, POLL_JOB } from "../../app/core/polling.js";
import { channels, messages, outboxJobs } from "../../app/db/schema.js";
import type { AppDeps } from "../../app/deps.js";
import { buildRegistry } from "../../app/jobs.js";
import { backends, openTestDb, type TestDb } from "../support/db.js";
import { testDeps } from "../support/deps.js";
import { seedChannel } from "../support/channels.js";
import type { FakeServer } from "../support/fake-server.js";
import { Recorder, serveFake } from "../providers/provider-fake.js";
import { createWammFake, WAMM_TOKEN, WammFakeState } from "../providers/wamm/fake.js";

describe.each(await backends())("polling providers without webhooks (WAMM) on %s", (backend) => {
  let t: TestDb;
  let deps: AppDeps;
  let fake: FakeServer;
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 9));
  const recorder = new Recorder();
  const state = new WammFakeState();

  beforeAll(async () => {
    t = await openTestDb(backend);
    deps = await testDeps(t.db, { clock });
    fake = await serveFake((r) => createWammFake(r, state), recorder);
  });
  afterAll(async () => {
    await fake?.close();
    await t?.close();
  });
  beforeEach(async () => {
    recorder.reset();
    state.reset();
    await t.db.execute(sql`truncate outbox_jobs, pace_slots, portals cascade`);
  });

  const drain = () =>
    processDue({ db: t.db, registry: buildRegistry(deps), clock, logger: deps.logger, batch: 10, concurrency: 2, leaseMs: 30_000 });
  const pollJobs = (status: "pending" | "done") =>
    t.db.select().from(outboxJobs).where(and(eq(outboxJobs.kind, POLL_JOB), eq(outboxJobs.status, status)));
  const wire = (id: number, text: string) => ({
    msg_id: String(id),
    from_me: "0" as const,
    phone: "79115576366",
    chat_name: "Иван",
    tip_msg: "text",
    msg_text: text,
    msg_link: null,
    date_ins: "2026-11-25 12:00:00",
    date_upd: null,
    state: null,
  });

  it("starts one poll chain per channel, skips history, then brings new messages and statuses in", async () => {
    const { channel } = await seedChannel(deps, "wamm", { token: WAMM_TOKEN, apiUrl: fake.url });
    state.messages.push(wire(100, "old history"));
    expect(await ensurePolling(t.db, clock.now())).toBe(1);
    expect(await ensurePolling(t.db, clock.now())).toBe(0);

    await drain();
    expect(await t.db.select().from(messages)).toHaveLength(0); // history is not pushed into the CRM
    const [row] = await t.db.select().from(channels).where(eq(channels.id, channel.id));
    expect(row!.pollCursor).toBe("100");
    const [next] = await pollJobs("pending");
    expect(next!.runAt.getTime() - clock.now().getTime()).toBe(DEFAULT_POLL_INTERVAL_MS);

    // a client writes, and we send something that WAMM later reports delivered
    state.messages.push(wire(101, "Здравствуйте, есть в наличии?"));
    state.nextId = 500;
    const { message } = await queueOutgoing(deps, {
      channel: row!,
      peer: { phone: "79115576366" },
      content: { type: "text", text: "Да, есть" },
      origin: "openlines",
      dedupKey: "poll-test:1",
    });
    await drain();
    state.states.set("500", "delivered");

    clock.advance(DEFAULT_POLL_INTERVAL_MS);
    await drain();
    const rows = await t.db.select().from(messages).where(eq(messages.channelId, channel.id));
    expect(rows.find((m) => m.direction === "in")).toMatchObject({ body: "Здравствуйте, есть в наличии?", peer: "79115576366" });
    expect(rows.find((m) => m.id === message.id)).toMatchObject({ status: "delivered", providerMessageId: "500" });
    expect(recorder.violations).toEqual([]);

    // the same messages polled again are not stored twice
    clock.advance(DEFAULT_POLL_INTERVAL_MS);
    await drain();
    expect(await t.db.select().from(messages).where(eq(messages.channelId, channel.id))).toHaveLength(2);
    expect(await pollJobs("pending")).toHaveLength(1);
    expect((await pollJobs("done")).length).toBe(3);
  });

  it("a removed channel ends its chain", async () => {
    const { channel } = await seedChannel(deps, "wamm", { token: WAMM_TOKEN, apiUrl: fake.url });
    await ensurePolling(t.db, clock.now());
    await t.db.update(channels).set({ deletedAt: clock.now() }).where(eq(channels.id, channel.id));
    await drain();
    expect(await pollJobs("pending")).toHaveLength(0);
    expect(recorder.requests).toHaveLength(0);
  });
  it("a long text split in parts: the parts already sent are kept on the message, so a retry in any process sends only the rest", async () => {
    const { channel } = await seedChannel(deps, "wamm", { token: WAMM_TOKEN, apiUrl: fake.url });
    state.nextId = 7000;
    state.failSend = { after: 1, err: "phone not checked for WhatsApp, please retry" };
    const text = `${"a ".repeat(700)}\n${"b ".repeat(700)}`;
    const { message } = await queueOutgoing(deps, { channel, peer: { phone: "79115576366" }, content: { type: "text", text }, origin: "admin", dedupKey: "wamm-split-1" });
    await drain();
    const [afterFailure] = await t.db.select().from(messages).where(eq(messages.id, message.id));
    expect(afterFailure).toMatchObject({ status: "queued", sendProgress: ["7000"] });
    expect(state.sent).toHaveLength(1);

    clock.advance(10 * 60_000);
    await drain();
    const [done] = await t.db.select().from(messages).where(eq(messages.id, message.id));
    expect(done).toMatchObject({ status: "sent", providerMessageId: "7001", sendProgress: ["7000", "7001"] });
    expect(state.sent.map((s) => s.text?.[0])).toEqual(["a", "b"]);
  });
});
