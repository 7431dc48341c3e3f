import type { Message, MessageBatch, Queue } from "@cloudflare/workers-types";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../app/core/clock.js";
import { silentLogger } from "../../app/core/logger.js";
import { MAINTENANCE_JOB } from "../../app/core/maintenance.js";
import { enqueueJob } from "../../app/core/outbox/enqueue.js";
import { processDue } from "../../app/core/outbox/pump.js";
import { outboxJobs } from "../../app/db/schema.js";
import { buildRegistry } from "../../app/jobs.js";
import { consumeJobBatch, dispatchWokenJobs, EagerWaker, type JobMessage } from "../../worker/cloudflare-jobs.js";
import { openTestDb, type TestDb } from "../support/db.js";
import { testDeps } from "../support/deps.js";

/** Records what the worker would send; `failing` makes every send reject like an unavailable Queue. */
function recordingQueue(failing = false): { queue: Queue<JobMessage>; sent: JobMessage[][] } {
  const sent: JobMessage[][] = [];
  const queue = {
    async send(body: JobMessage) {
      if (failing) throw new Error("queue unavailable");
      sent.push([body]);
    },
    async sendBatch(messages: Iterable<{ body: JobMessage }>) {
      if (failing) throw new Error("queue unavailable");
      sent.push([...messages].map((m) => m.body));
    },
  } as unknown as Queue<JobMessage>;
  return { queue, sent };
}

interface Settled {
  acked: string[];
  retried: Array<{ id: string; delaySeconds: number | undefined }>;
  retriedAll: boolean;
}

function batchOf(bodies: Record<string, unknown>): { batch: MessageBatch<unknown>; settled: Settled } {
  const settled: Settled = { acked: [], retried: [], retriedAll: false };
  const messages = Object.entries(bodies).map(
    ([id, body]) =>
      ({
        id,
        body,
        timestamp: new Date(),
        attempts: 1,
        ack: () => settled.acked.push(id),
        retry: (o?: { delaySeconds?: number }) => settled.retried.push({ id, delaySeconds: o?.delaySeconds }),
      }) as unknown as Message<unknown>,
  );
  const batch = {
    queue: "chatbridge-jobs",
    messages,
    ackAll: () => settled.acked.push(...messages.map((m) => m.id)),
    retryAll: () => {
      settled.retriedAll = true;
    },
  } as unknown as MessageBatch<unknown>;
  return { batch, settled };
}

describe("Workers job dispatch and queue consumer", () => {
  let t: TestDb;
  let runDue: () => Promise<number>;

  beforeAll(async () => {
    t = await openTestDb("pglite");
    const deps = await testDeps(t.db);
    const registry = buildRegistry(deps);
    runDue = () =>
      processDue({ db: t.db, registry, clock: systemClock, logger: silentLogger, batch: 10, concurrency: 4, leaseMs: 60_000 });
  });
  afterAll(async () => {
    await t?.close();
  });

  const enqueue = async (label: string, runAt?: Date) =>
    (
      await enqueueJob(
        t.db,
        { kind: MAINTENANCE_JOB, payload: { hour: label }, dedupKey: `t:${label}`, maxAttempts: 3, ...(runAt ? { runAt } : {}) },
        new Date(),
      )
    ).job.id;
  const status = async (id: string) =>
    (await t.db.select({ status: outboxJobs.status }).from(outboxJobs).where(eq(outboxJobs.id, id)))[0]?.status;

  it("sends each woken job once to the Queue and runs it at once, without waiting for the response", async () => {
    const id = await enqueue("woken");
    const { queue, sent } = recordingQueue();
    const waker = new EagerWaker((ids) => dispatchWokenJobs(ids, queue, runDue, silentLogger));
    waker.wake([id]);
    waker.wake([id]);
    await waker.settled();
    expect(waker.jobIds).toEqual([id]);
    expect(sent).toEqual([[{ jobId: id }]]);
    expect(await status(id)).toBe("done");
  });

  it("still runs the jobs when the Queue refuses the message", async () => {
    const id = await enqueue("queue-down");
    const { queue } = recordingQueue(true);
    await dispatchWokenJobs([id], queue, runDue, silentLogger);
    expect(await status(id)).toBe("done");
  });

  it("does nothing for a request that enqueued nothing", async () => {
    const { queue, sent } = recordingQueue();
    let ran = 0;
    await dispatchWokenJobs([], queue, async () => ++ran, silentLogger);
    expect(sent).toEqual([]);
    expect(ran).toBe(0);
  });

  it("acks finished and unknown jobs, redelivers a backed-off one at its time, drops junk", async () => {
    const due = await enqueue("consume-due");
    const later = await enqueue("consume-later", new Date(Date.now() + 90_000));
    const { batch, settled } = batchOf({
      a: { jobId: due },
      b: { jobId: later },
      c: { jobId: crypto.randomUUID() },
      d: "not a job",
    });
    await consumeJobBatch(batch, t.db, runDue, () => new Date(), silentLogger);
    expect(await status(due)).toBe("done");
    expect(settled.acked.sort()).toEqual(["a", "c", "d"]);
    expect(settled.retried).toHaveLength(1);
    expect(settled.retried[0]?.id).toBe("b");
    expect(settled.retried[0]?.delaySeconds).toBeGreaterThanOrEqual(85);
    expect(settled.retried[0]?.delaySeconds).toBeLessThanOrEqual(90);
  });

  it("redelivers the whole batch when the database cannot be reached", async () => {
    const { batch, settled } = batchOf({ a: { jobId: crypto.randomUUID() } });
    await consumeJobBatch(batch, t.db, () => Promise.reject(new Error("connection refused")), () => new Date(), silentLogger);
    expect(settled.retriedAll).toBe(true);
    expect(settled.acked).toEqual([]);
  });
});
