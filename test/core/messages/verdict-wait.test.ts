import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { systemClock } from "../../../app/core/clock.js";
import { queueOutgoing } from "../../../app/core/messages/outgoing.js";
import { registerSendJob } from "../../../app/core/messages/send-job.js";
import { applyStatus, type Message } from "../../../app/core/messages/status.js";
import { VERDICT_WAIT_MS } from "../../../app/core/messages/verdict-wait.js";
import { processDue } from "../../../app/core/outbox/pump.js";
import { JobRegistry } from "../../../app/core/outbox/registry.js";
import { AMOCRM_NOTE_JOB, crmNoteJob, TIMELINE_NOTE_JOB } from "../../../app/core/webhook-send.js";
import { messages, outboxJobs } from "../../../app/db/schema.js";
import type { AppDeps } from "../../../app/deps.js";
import type { FakeServer } from "../../support/fake-server.js";
import { backends, openTestDb, type TestDb } from "../../support/db.js";
import { testDeps } from "../../support/deps.js";
import { seedChannel } from "../../support/channels.js";
import { Recorder, serveFake } from "../../providers/provider-fake.js";
import { createWappiFake, WAPPI_PROFILE, WAPPI_TOKEN } from "../../providers/wappi/fake.js";

describe.each(await backends())("CRM notes wait for the provider's verdict on %s", (backend) => {
  let t: TestDb;
  let deps: AppDeps;
  let fake: FakeServer;
  const recorder = new Recorder();
  /** what each note job saw of its message when it ran */
  const noted: Array<{ kind: string; status: string }> = [];

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
    noted.length = 0;
    await t.db.execute(sql`truncate outbox_jobs, pace_slots, portals cascade`);
  });

  /** the real send job, and note jobs that record what they found */
  function registry(): JobRegistry {
    const r = new JobRegistry();
    registerSendJob(r, deps);
    for (const kind of [TIMELINE_NOTE_JOB, AMOCRM_NOTE_JOB]) {
      r.register(kind, {
        schema: z.object({ messageId: z.uuid() }),
        async handle({ messageId }) {
          const [m] = await t.db.select().from(messages).where(eq(messages.id, messageId));
          noted.push({ kind, status: m?.status ?? "gone" });
        },
      });
    }
    return r;
  }
  const drain = () => processDue({ db: t.db, registry: registry(), clock: systemClock, logger: deps.logger, batch: 10, concurrency: 4, leaseMs: 30_000 });

  async function queueWithNote(crm: "bitrix24" | "amocrm", key: string): Promise<Message> {
    const { channel } = await seedChannel(deps, "wappi", { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, apiUrl: fake.url });
    const { message } = await queueOutgoing(deps, {
      channel: { ...channel, paceMinMs: 0, paceJitterMs: 0 },
      peer: { phone: "79115576366" },
      content: { type: "text", text: "Счёт отправлен" },
      origin: "webhook_api",
      dedupKey: key,
      extraJobs: (id) => [crmNoteJob(crm, id)],
    });
    return message;
  }
  const noteJob = async (kind: string, messageId: string) => {
    const [job] = await t.db.select().from(outboxJobs).where(eq(outboxJobs.dedupKey, `${kind}:${messageId}`));
    return job!;
  };

  it("the note is written to run VERDICT_WAIT_MS after its message, and runs once, right after the send recorded 'sent'", async () => {
    const message = await queueWithNote("bitrix24", "verdict:1");
    const waiting = await noteJob(TIMELINE_NOTE_JOB, message.id);
    expect(waiting.runAt.getTime() - message.createdAt.getTime()).toBe(VERDICT_WAIT_MS);

    // one drain: the send job runs, its status write brings the note forward, the next round runs it
    await drain();
    expect(recorder.requests.filter((r) => r.path === "/api/sync/message/send")).toHaveLength(1);
    expect(noted).toEqual([{ kind: TIMELINE_NOTE_JOB, status: "sent" }]);
    const done = await noteJob(TIMELINE_NOTE_JOB, message.id);
    expect(done.status).toBe("done");
    expect(done.attempts).toBe(1);
  });

  it("a failed message wakes its amoCRM note as well, and a later status of a noted message moves nothing", async () => {
    const message = await queueWithNote("amocrm", "verdict:2");
    const failed = await applyStatus(t.db, message, { status: "failed", at: new Date(), reason: "no WhatsApp", errorCode: "no_messenger" });
    expect(failed?.status).toBe("failed");
    const woken = await noteJob(AMOCRM_NOTE_JOB, message.id);
    expect(woken.runAt.getTime()).toBeLessThanOrEqual(Date.now());
    expect(woken.runAt.getTime()).toBeLessThan(message.createdAt.getTime() + VERDICT_WAIT_MS);
  });

  it("a status that does not settle anything new leaves a waiting note alone", async () => {
    const message = await queueWithNote("bitrix24", "verdict:3");
    // 'queued' again is no advance: applyStatus writes nothing, the note keeps its time
    expect(await applyStatus(t.db, message, { status: "queued", at: new Date() })).toBeUndefined();
    const waiting = await noteJob(TIMELINE_NOTE_JOB, message.id);
    expect(waiting.runAt.getTime() - message.createdAt.getTime()).toBe(VERDICT_WAIT_MS);
  });
});
