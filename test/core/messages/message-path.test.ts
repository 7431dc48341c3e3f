import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { systemClock } from "../../../app/core/clock.js";
import { queueOutgoing } from "../../../app/core/messages/outgoing.js";
import { applyStatus } from "../../../app/core/messages/status.js";
import { processDue } from "../../../app/core/outbox/pump.js";
import { messages, outboxJobs } from "../../../app/db/schema.js";
import type { AppDeps } from "../../../app/deps.js";
import { buildRegistry } from "../../../app/jobs.js";
import type { FakeServer } from "../../support/fake-server.js";
import { backends, openTestDb, type TestDb } from "../../support/db.js";
import { testDeps } from "../../support/deps.js";
import { seedChannel } from "../../support/channels.js";
import { Recorder, serveFake } from "../../providers/provider-fake.js";
import { createWappiFake, WAPPI_PROFILE, WAPPI_TOKEN } from "../../providers/wappi/fake.js";

describe.each(await backends())("outgoing message path on %s", (backend) => {
  let t: TestDb;
  let deps: AppDeps;
  let fake: FakeServer;
  const recorder = new Recorder();

  beforeAll(async () => {
    t = await openTestDb(backend);
    deps = await testDeps(t.db);
    fake = await serveFake((r) => createWappiFake(r, "whatsapp"), recorder);
  });
  afterAll(async () => {
    await fake?.close();
    await t?.close();
  });
  beforeEach(async () => {
    recorder.reset();
    await t.db.execute(sql`truncate outbox_jobs, pace_slots, portals cascade`);
  });

  const wappiChannel = () =>
    seedChannel(deps, "wappi", { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, apiUrl: fake.url });
  const drain = () =>
    processDue({ db: t.db, registry: buildRegistry(deps), clock: systemClock, logger: deps.logger, batch: 10, concurrency: 4, leaseMs: 30_000 });

  it("a queued text becomes one provider call and the message is marked sent with the provider's id", async () => {
    const { channel } = await wappiChannel();
    const { message, created } = await queueOutgoing(deps, {
      channel,
      peer: { phone: "79115576366" },
      content: { type: "text", text: "Здравствуйте!" },
      origin: "webhook_api",
      dedupKey: "test:1",
    });
    expect(created).toBe(true);
    expect(message.status).toBe("queued");
    expect(await drain()).toBe(1);

    expect(recorder.violations).toEqual([]);
    const sends = recorder.requests.filter((r) => r.path === "/api/sync/message/send");
    expect(sends).toHaveLength(1);
    expect(JSON.parse(sends[0]!.body)).toEqual({ body: "Здравствуйте!", recipient: "79115576366" });

    const [row] = await t.db.select().from(messages).where(eq(messages.id, message.id));
    expect(row!.status).toBe("sent");
    expect(row!.providerMessageId).toBeTruthy();
    expect(row!.statusHistory.map((h) => h.status)).toEqual(["queued", "sent"]);
  });

  it("the same dedup key twice stores one message and sends once", async () => {
    const { channel } = await wappiChannel();
    const input = {
      channel,
      peer: { phone: "79115576366" },
      content: { type: "text" as const, text: "once" },
      origin: "webhook_api" as const,
      dedupKey: "test:dup",
    };
    const first = await queueOutgoing(deps, input);
    const second = await queueOutgoing(deps, input);
    expect(second.created).toBe(false);
    expect(second.message.id).toBe(first.message.id);
    await drain();
    expect(recorder.requests.filter((r) => r.path === "/api/sync/message/send")).toHaveLength(1);
    expect(await t.db.select().from(messages)).toHaveLength(1);
  });

  it("a permanent provider error fails the message with its code and dead-letters the job", async () => {
    const { channel } = await wappiChannel();
    recorder.answerNext({ status: 401, body: { status: "error", detail: "Invalid token" } });
    const { message } = await queueOutgoing(deps, {
      channel,
      peer: { phone: "79115576366" },
      content: { type: "text", text: "x" },
      origin: "webhook_api",
      dedupKey: "test:401",
    });
    await drain();
    const [row] = await t.db.select().from(messages).where(eq(messages.id, message.id));
    expect(row!.status).toBe("failed");
    expect(row!.errorCode).toBe("invalid_credentials");
    const [job] = await t.db.select().from(outboxJobs);
    expect(job!.status).toBe("dead");
  });

  it("a retryable provider error keeps the message queued for the next attempt", async () => {
    const { channel } = await wappiChannel();
    recorder.answerNext({ status: 503, body: { status: "error", detail: "maintenance" } });
    const { message } = await queueOutgoing(deps, {
      channel,
      peer: { phone: "79115576366" },
      content: { type: "text", text: "x" },
      origin: "webhook_api",
      dedupKey: "test:503",
    });
    await drain();
    const [row] = await t.db.select().from(messages).where(eq(messages.id, message.id));
    expect(row!.status).toBe("queued");
    const [job] = await t.db.select().from(outboxJobs);
    expect(job).toMatchObject({ status: "pending", attempts: 1 });
    expect(job!.lastError).toMatch(/503/);
  });
});

describe.each(await backends())("status reports on %s", (backend) => {
  let t: TestDb;
  let deps: AppDeps;
  beforeAll(async () => {
    t = await openTestDb(backend);
    deps = await testDeps(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("concurrent reports for one message never move it backwards nor lose history", async () => {
    const { channel } = await seedChannel(deps, "gateway", {});
    for (let round = 0; round < 5; round++) {
      const { message } = await queueOutgoing(deps, {
        channel,
        peer: { phone: "79115576366" },
        content: { type: "text", text: "x" },
        origin: "webhook_api",
        dedupKey: `race:${round}`,
      });
      const sent = (await applyStatus(t.db, message, { status: "sent", at: new Date() }))!;
      await Promise.all([
        applyStatus(t.db, sent, { status: "read", at: new Date() }),
        applyStatus(t.db, sent, { status: "delivered", at: new Date() }),
      ]);
      const [row] = await t.db.select().from(messages).where(eq(messages.id, message.id));
      expect(row!.status).toBe("read");
      expect(row!.statusHistory.map((h) => h.status).slice(0, 2)).toEqual(["queued", "sent"]);
      expect(row!.statusHistory.at(-1)!.status).toBe("read");
    }
  });
});
