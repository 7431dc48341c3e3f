import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CRM_DELIVER_JOB } from "../../../app/core/messages/inbound.js";
import { channels, messages, outboxJobs, webhookQuarantine } from "../../../app/db/schema.js";
import type { AppDeps } from "../../../app/deps.js";
import { createApp } from "../../../app/index.js";
import incoming from "../../../app/providers/wappi/fixtures/webhook-incoming-message.json";
import authorization from "../../../app/providers/wappi/fixtures/webhook-authorization-status.json";
import delivery from "../../../app/providers/wappi/fixtures/webhook-delivery-status.json";
import { ManualClock } from "../../../app/core/clock.js";
import { CRM_STATUS_JOB, LATE_STATUS_JOB } from "../../../app/core/messages/record-status.js";
import { claimJobs } from "../../../app/core/outbox/claim.js";
import { processJob } from "../../../app/core/outbox/process.js";
import { buildRegistry } from "../../../app/jobs.js";
import { backends, openTestDb, type TestDb } from "../../support/db.js";
import { testDeps } from "../../support/deps.js";
import { seedChannel } from "../../support/channels.js";
import { WAPPI_PROFILE, WAPPI_TOKEN } from "../../providers/wappi/fake.js";

describe.each(await backends())("POST /hooks/<provider>/<secret> on %s", (backend) => {
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
    await t.db.execute(sql`truncate outbox_jobs, portals cascade`);
  });

  const creds = { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, apiUrl: "http://127.0.0.1:9" };
  const post = (path: string, body: unknown) =>
    createApp(deps).request(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  it("stores an incoming message once however often the provider redelivers it, with one CRM job", async () => {
    const { channel, hookSecret } = await seedChannel(deps, "wappi", creds, { bound: true });
    const first = await post(`/hooks/wappi/${hookSecret}`, incoming);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ ok: true, stored: 1, duplicates: 0, statuses: 0 });
    // Wappi retries at 0/5/10/20/30 min when it thinks we did not answer
    for (let i = 0; i < 3; i++) {
      const again = await post(`/hooks/wappi/${hookSecret}`, incoming);
      expect(await again.json()).toEqual({ ok: true, stored: 0, duplicates: 1, statuses: 0 });
    }
    const rows = await t.db.select().from(messages).where(eq(messages.channelId, channel.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ direction: "in", origin: "provider", peer: "79115576366", body: "Привет, как дела?" });
    const jobs = await t.db.select().from(outboxJobs).where(eq(outboxJobs.kind, CRM_DELIVER_JOB));
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.payload).toEqual({ messageId: rows[0]!.id });
  });

  it("stores without a CRM job when the channel is not bound to a line", async () => {
    const { hookSecret } = await seedChannel(deps, "wappi", creds);
    await post(`/hooks/wappi/${hookSecret}`, incoming);
    expect(await t.db.select().from(messages)).toHaveLength(1);
    expect(await t.db.select().from(outboxJobs)).toHaveLength(0);
  });

  it("updates the channel state from authorization events", async () => {
    const { channel, hookSecret } = await seedChannel(deps, "wappi", creds);
    expect((await post(`/hooks/wappi/${hookSecret}`, authorization)).status).toBe(200);
    const [row] = await t.db.select().from(channels).where(eq(channels.id, channel.id));
    expect(row!.state).not.toBe("unknown");
  });

  it("keeps an authenticated but unparseable body in quarantine and answers 200", async () => {
    const { channel, hookSecret } = await seedChannel(deps, "wappi", creds);
    const res = await post(`/hooks/wappi/${hookSecret}`, "{not json");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, quarantined: true });
    const [q] = await t.db.select().from(webhookQuarantine);
    expect(q).toMatchObject({ channelId: channel.id, provider: "wappi", body: "{not json" });
  });

  it("a status for a message the CRM sent moves it forward and queues one report to the CRM per status", async () => {
    const { channel, hookSecret } = await seedChannel(deps, "wappi", creds, { bound: true });
    const [sent] = await t.db
      .insert(messages)
      .values({
        channelId: channel.id,
        direction: "out",
        origin: "openlines",
        peer: "79115576366",
        body: "Здравствуйте",
        providerMessageId: "3EB0128AE55B5D222DD0",
        crmMessageId: "b24-msg-1",
        status: "sent",
        statusHistory: [{ status: "sent", at: new Date().toISOString() }],
        dedupKey: "b24:test:1",
      })
      .returning();
    for (let i = 0; i < 2; i++) {
      expect((await post(`/hooks/wappi/${hookSecret}`, delivery)).status).toBe(200);
    }
    const [row] = await t.db.select().from(messages).where(eq(messages.id, sent!.id));
    expect(row!.status).toBe("read");
    const reports = await t.db.select().from(outboxJobs).where(eq(outboxJobs.kind, CRM_STATUS_JOB));
    expect(reports.map((j) => j.payload).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
      { messageId: sent!.id, status: "delivered" },
      { messageId: sent!.id, status: "read" },
    ]);
  });

  it("a status that arrives before the send stored the provider's id is kept and applied once the id is known", async () => {
    const { channel, hookSecret } = await seedChannel(deps, "wappi", creds);
    expect(await (await post(`/hooks/wappi/${hookSecret}`, delivery)).json()).toMatchObject({ ok: true, statuses: 2 });
    const late = await t.db.select().from(outboxJobs).where(eq(outboxJobs.kind, LATE_STATUS_JOB));
    expect(late).toHaveLength(2);

    const registry = buildRegistry(deps);
    const later = new ManualClock(Date.now() + 5_000);
    const run = async () => {
      for (const job of await claimJobs(t.db, { now: later.now(), leaseMs: 30_000, limit: 10 })) {
        await processJob({ db: t.db, registry, clock: later, logger: deps.logger }, job);
      }
    };
    await run(); // the send has not answered yet: both wait
    expect((await t.db.select().from(outboxJobs).where(eq(outboxJobs.kind, LATE_STATUS_JOB))).map((j) => j.status)).toEqual([
      "pending",
      "pending",
    ]);
    const [message] = await t.db
      .insert(messages)
      .values({
        channelId: channel.id,
        direction: "out",
        origin: "webhook_api",
        peer: "79115576366",
        body: "x",
        providerMessageId: "3EB0128AE55B5D222DD0",
        status: "sent",
        statusHistory: [{ status: "sent", at: new Date().toISOString() }],
        dedupKey: "late:1",
      })
      .returning();
    later.advance(60_000);
    await run();
    const [row] = await t.db.select().from(messages).where(eq(messages.id, message!.id));
    expect(row!.status).toBe("read");
  });

  it("security: an unknown secret gets 401 and stores nothing", async () => {
    await seedChannel(deps, "wappi", creds);
    const res = await post("/hooks/wappi/not-a-real-secret", incoming);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ ok: false, error: "unauthorized" });
    expect(await t.db.select().from(messages)).toHaveLength(0);
    expect(await t.db.select().from(webhookQuarantine)).toHaveLength(0);
  });

  it("security: a secret is only valid under its own provider's path", async () => {
    const { hookSecret } = await seedChannel(deps, "wappi", creds);
    const res = await post(`/hooks/greenapi/${hookSecret}`, incoming);
    expect(res.status).toBe(401);
  });
});
