import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signFileUrl } from "../../app/core/file-store.js";
import { MAINTENANCE_JOB } from "../../app/core/maintenance.js";
import { enqueueJob } from "../../app/core/outbox/enqueue.js";
import type { Db } from "../../app/db/index.js";
import { issueAdminSession } from "../../app/core/admin-session.js";
import { createChannel } from "../../app/core/channels.js";
import { files, lineBindings, outboxJobs, portals } from "../../app/db/schema.js";
import { buildWorkersBundle } from "../../worker/workers-bundle.js";
import { openTestDb, postgresAvailable, type TestDb } from "../support/db.js";
import { TEST_ENCRYPTION_KEY, testDeps } from "../support/deps.js";
import { seedChannel } from "../support/channels.js";
import { createWebhookToken } from "../../app/core/webhook-tokens.js";
import { Recorder, serveFake } from "../providers/provider-fake.js";
import { createWappiFake, WAPPI_PROFILE, WAPPI_TOKEN } from "../providers/wappi/fake.js";
import { FAKE_BOT_ID, FAKE_CHANNEL_ID, FAKE_CHANNEL_SECRET, FakeAmojo } from "../crm/amocrm/fake-amojo.js";

/**
 * The production Workers path end to end: the bundle `wrangler deploy` would upload, run in
 * workerd by Miniflare with the Queue and R2 simulated, against a fresh PostgreSQL database
 * reached directly (DATABASE_URL stands in for Hyperdrive, which Miniflare cannot provide).
 */
const QUEUE = "chatbridge-jobs";
const PUBLIC_URL = "https://bridge.test";

async function jobStatus(db: Db, id: string): Promise<string | undefined> {
  const [row] = await db.select({ status: outboxJobs.status }).from(outboxJobs).where(eq(outboxJobs.id, id));
  return row?.status;
}

async function waitForStatus(db: Db, id: string, status: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await jobStatus(db, id)) !== status) {
    if (Date.now() > until) throw new Error(`job ${id} did not reach ${status} (is ${await jobStatus(db, id)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A maintenance job as the app would enqueue it, with a dedup key of its own per test. */
async function enqueueMaintenance(db: Db, label: string): Promise<string> {
  const { job } = await enqueueJob(
    db,
    { kind: MAINTENANCE_JOB, payload: { hour: label }, dedupKey: `test:${label}`, maxAttempts: 3 },
    new Date(),
  );
  return job.id;
}

describe.skipIf(!(await postgresAvailable()))("Cloudflare Workers entry in Miniflare", () => {
  let t: TestDb;
  let mf: Miniflare;
  let outDir: string;
  const amojo = new FakeAmojo(() => new Date());

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), "chatbridge-worker-"));
    await amojo.start();
    const [bundle, db] = await Promise.all([buildWorkersBundle(outDir), openTestDb("postgres")]);
    t = db;
    mf = new Miniflare({
      scriptPath: bundle.scriptPath,
      modules: true,
      // module names are paths relative to this root; the bundle lives outside the repo
      modulesRoot: outDir,
      compatibilityDate: "2026-04-20",
      compatibilityFlags: ["nodejs_compat"],
      // loopback is allowed so the worker can reach the provider fake of the webhook-API test
      bindings: {
        DATABASE_URL: t.url!,
        ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        PUBLIC_URL,
        LOG_LEVEL: "silent",
        OUTBOUND_ALLOW_LOOPBACK: "true",
        AMOCRM_AMOJO_URL: amojo.url,
        AMOCRM_CHAT_CHANNEL_ID: FAKE_CHANNEL_ID,
        AMOCRM_CHAT_CHANNEL_SECRET: FAKE_CHANNEL_SECRET,
        AMOCRM_CHAT_BOT_ID: FAKE_BOT_ID,
      },
      queueProducers: { JOBS: QUEUE },
      queueConsumers: { [QUEUE]: { maxBatchSize: 10, maxBatchTimeout: 0.1, maxRetries: 2 } },
      r2Buckets: ["FILES"],
    });
    await mf.ready;
  });

  afterAll(async () => {
    await mf?.dispose();
    await amojo.close();
    await t?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it("a webhook-API send is queued, dispatched by the worker and reaches the provider fake on loopback", async () => {
    const recorder = new Recorder();
    const fake = await serveFake((r) => createWappiFake(r, "whatsapp"), recorder);
    try {
      const deps = await testDeps(t.db);
      const { channel } = await seedChannel(deps, "wappi", { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, apiUrl: fake.url });
      const { token } = await createWebhookToken(deps, channel);
      const res = await mf.dispatchFetch(
        `http://localhost/rest/webhook/wa/${token}/sendText?phone_number=8%20911%20557-63-66&body=Hello%20from%20Workers&wait=8`,
      );
      expect(res.status).toBe(200);
      const body = (await res.json()) as { ok: boolean; status: string; message_id: string };
      expect(body).toMatchObject({ ok: true, status: "sent" });
      const sends = recorder.requests.filter((r) => r.path === "/api/sync/message/send");
      expect(sends).toHaveLength(1);
      expect(JSON.parse(sends[0]!.body)).toEqual({ body: "Hello from Workers", recipient: "79115576366" });
      expect(recorder.violations).toEqual([]);
      const [job] = await t.db.select().from(outboxJobs).where(eq(outboxJobs.dedupKey, `message.send:${body.message_id}`));
      expect(job?.status).toBe("done");
    } finally {
      await fake.close();
    }
  });

  it("binds an amoCRM channel through a signed amojo request: Content-MD5 by node:crypto in workerd", async () => {
    // the Workers runtime provides node:crypto only under this flag (amojo's MD5 needs it)
    expect(await readFile(new URL("../../wrangler.toml", import.meta.url), "utf8")).toMatch(/^compatibility_flags = \[[^\]]*"nodejs_compat"/m);
    const deps = await testDeps(t.db);
    const amojoId = crypto.randomUUID();
    const [portal] = await t.db
      .insert(portals)
      .values({ crm: "amocrm", externalId: "30449001", domain: "workers.amocrm.ru", status: "active", settings: { baseUrl: "https://workers.amocrm.ru", amojoId } })
      .returning({ id: portals.id });
    const { channel } = await createChannel(t.db, deps.keyring, {
      portalId: portal!.id,
      provider: "wappi",
      name: "Workers",
      credentials: { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, apiUrl: "https://wappi.example" },
    });
    const { token } = await issueAdminSession(t.db, { portalId: portal!.id, userId: "1" }, new Date());

    const res = await mf.dispatchFetch(`http://localhost/api/channels/${channel.id}/bind`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; line: string };
    expect(body.ok).toBe(true);
    expect(amojo.violations).toEqual([]);
    const [connect] = amojo.callsTo("/connect");
    expect(connect?.headers.get("content-md5")).toBe(createHash("md5").update(connect!.raw).digest("hex"));
    expect(body.line).toBe(amojo.connected.get(amojoId));
    const [binding] = await t.db.select().from(lineBindings).where(eq(lineBindings.channelId, channel.id));
    expect(binding).toMatchObject({ crm: "amocrm", lineId: body.line, active: true });
  });

  it("answers /health from the bundle with runtime workers and a live database", async () => {
    const res = await mf.dispatchFetch("http://localhost/health");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(await res.json()).toMatchObject({ ok: true, runtime: "workers", db: { status: "ok" } });
  });

  it("answers unknown routes with the JSON error shape", async () => {
    const res = await mf.dispatchFetch("http://localhost/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ ok: false, error: "not_found" });
  });

  it("runs a job when its queue message is delivered and acks the message", async () => {
    const jobId = await enqueueMaintenance(t.db, "queue-direct");
    const worker = await mf.getWorker();
    const result = await worker.queue(QUEUE, [{ id: "m1", timestamp: new Date(), body: { jobId }, attempts: 1 }]);
    expect(result.outcome).toBe("ok");
    expect(result.explicitAcks).toEqual(["m1"]);
    expect(result.retryMessages).toEqual([]);
    expect(await jobStatus(t.db, jobId)).toBe("done");
  });

  it("redelivers a message whose job waits for a later retry, and drops malformed ones", async () => {
    const { job } = await enqueueJob(
      t.db,
      { kind: MAINTENANCE_JOB, payload: { hour: "later" }, dedupKey: "test:later", maxAttempts: 3, runAt: new Date(Date.now() + 30_000) },
      new Date(),
    );
    const worker = await mf.getWorker();
    const result = await worker.queue(QUEUE, [
      { id: "later", timestamp: new Date(), body: { jobId: job.id }, attempts: 1 },
      { id: "junk", timestamp: new Date(), body: { nope: true }, attempts: 1 },
    ]);
    expect(result.explicitAcks).toEqual(["junk"]);
    expect(result.retryMessages).toHaveLength(1);
    expect(result.retryMessages[0]?.msgId).toBe("later");
    expect(result.retryMessages[0]?.delaySeconds).toBeGreaterThanOrEqual(25);
    expect(await jobStatus(t.db, job.id)).toBe("pending");
  });

  it("consumes a message sent through the JOBS queue binding", async () => {
    const jobId = await enqueueMaintenance(t.db, "queue-binding");
    const producer = await mf.getQueueProducer<{ jobId: string }>("JOBS");
    await producer.send({ jobId });
    await waitForStatus(t.db, jobId, "done");
  });

  it("re-runs a job on the cron sweep after its holder's lease expired", async () => {
    const jobId = await enqueueMaintenance(t.db, "lease-expired");
    // As if a worker claimed it and died: running, lease over, one attempt spent.
    await t.db
      .update(outboxJobs)
      .set({ status: "running", attempts: 1, leaseToken: crypto.randomUUID(), leaseUntil: new Date(Date.now() - 1000) })
      .where(eq(outboxJobs.id, jobId));
    const worker = await mf.getWorker();
    const result = await worker.scheduled({ cron: "* * * * *", scheduledTime: new Date() });
    expect(result.outcome).toBe("ok");
    const [row] = await t.db.select().from(outboxJobs).where(eq(outboxJobs.id, jobId));
    expect(row).toMatchObject({ status: "done", attempts: 2, leaseToken: null });
    // the sweep also scheduled (and ran) this hour's maintenance
    const hour = new Date().toISOString().slice(0, 13);
    const [cleanup] = await t.db.select().from(outboxJobs).where(eq(outboxJobs.dedupKey, `${MAINTENANCE_JOB}:${hour}`));
    expect(cleanup?.status).toBe("done");
  });

  it("serves a re-hosted file from R2 through a signed link, and refuses a forged one", async () => {
    const bucket = await mf.getR2Bucket("FILES");
    const bytes = new TextEncoder().encode("%PDF-1.7 tiny");
    await bucket.put("portal-a/invoice.pdf", bytes, { httpMetadata: { contentType: "application/pdf" } });
    const [row] = await t.db
      .insert(files)
      .values({ storageKey: "portal-a/invoice.pdf", name: "Счёт 12.pdf", mime: "application/pdf", size: bytes.length, sha256: "x" })
      .returning();
    const url = await signFileUrl(PUBLIC_URL, row!.id, new Date(Date.now() + 3600_000), TEST_ENCRYPTION_KEY);
    const path = new URL(url).pathname;

    const res = await mf.dispatchFetch(`http://localhost${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(res.headers.get("content-disposition")).toContain("filename*=UTF-8''%D0%A1%D1%87%D1%91%D1%82%2012.pdf");
    expect(await res.text()).toBe("%PDF-1.7 tiny");

    const forged = path.replace(/.$/, (ch) => (ch === "A" ? "B" : "A"));
    const bad = await mf.dispatchFetch(`http://localhost${forged}`);
    expect(bad.status).toBe(404);
    expect(await bad.json()).toMatchObject({ ok: false, error: "not_found" });
  });
});
