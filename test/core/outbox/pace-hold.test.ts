import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ManualClock } from "../../../app/core/clock.js";
import { silentLogger } from "../../../app/core/logger.js";
import { claimJobs } from "../../../app/core/outbox/claim.js";
import { enqueueJob } from "../../../app/core/outbox/enqueue.js";
import { processJob } from "../../../app/core/outbox/process.js";
import { JobRegistry } from "../../../app/core/outbox/registry.js";
import { RetryableError } from "../../../app/core/outbox/types.js";
import { paceSlots } from "../../../app/db/schema.js";
import { ProviderRetryableError } from "../../../app/providers/types.js";
import { backends, openTestDb, type TestDb } from "../../support/db.js";

const numbered = z.object({ n: z.number() });

describe("which refusals hold a whole channel", () => {
  it("a provider's rate_limited holds the channel; its other retryable errors hold only the message", () => {
    expect(new ProviderRetryableError("rate_limited", "429", 12_000).holdsPace).toBe(true);
    expect(new ProviderRetryableError("server_error", "502").holdsPace).toBe(false);
    expect(new RetryableError("timeout").holdsPace).toBe(false);
  });
});

describe.each(await backends())("pace holds on %s", (backend) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(backend);
  });
  afterAll(async () => {
    await t?.close();
  });
  const reset = () => t.db.execute(sql`truncate outbox_jobs, pace_slots cascade`);

  it("a throttled send holds its whole channel until the retry time, for every claimer, while other channels go on", async () => {
    await reset();
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const registry = new JobRegistry().register("send", {
      schema: numbered,
      async handle(p) {
        if (p.n === 1) throw new RetryableError("429 slow down", 12_000, true);
        if (p.n === 9) throw new RetryableError("one message's own hiccup", 5_000);
      },
    });
    const deps = { db: t.db, registry, clock, logger: silentLogger };
    const pace = (key: string) => ({ key, minIntervalMs: 0, jitterMs: 0 });
    for (const n of [1, 2, 3]) {
      clock.advance(1); // written one after another: the channel's order is the order of writing
      await enqueueJob(t.db, { kind: "send", payload: { n }, pace: pace("channel:A"), maxAttempts: 5 }, clock.now());
    }
    for (const n of [9, 10]) await enqueueJob(t.db, { kind: "send", payload: { n }, pace: pace("channel:C"), maxAttempts: 5 }, clock.now());
    await enqueueJob(t.db, { kind: "send", payload: { n: 7 }, pace: pace("channel:B"), maxAttempts: 5 }, clock.now());

    const claimNow = () => claimJobs(t.db, { now: clock.now(), leaseMs: 60_000, limit: 10 });
    const numbers = (jobs: Array<{ payload: unknown }>) => jobs.map((j) => (j.payload as { n: number }).n).sort((a, b) => a - b);
    const first = await claimNow();
    expect(numbers(first)).toEqual([1, 7, 9]);
    for (const job of first) await processJob(deps, job);

    // channel A said "slow down" for 12 s: none of its messages is claimable before then,
    // while C's ordinary retry of one message lets C's next message go
    const throttledAt = clock.now().getTime();
    for (const at of [0, 4_000, 9_000, 11_999]) {
      clock.set(throttledAt + at);
      const jobs = await claimNow();
      expect(numbers(jobs).filter((n) => n < 7)).toEqual([]);
      for (const job of jobs) await processJob(deps, job);
    }
    const [slot] = await t.db.select().from(paceSlots).where(eq(paceSlots.key, "channel:A"));
    expect(slot!.nextAt.getTime()).toBe(throttledAt + 12_000);
    clock.set(throttledAt + 12_000);
    const after = await claimNow();
    expect(numbers(after)).toEqual([1]);
  });

  it("an ordered job kind keeps its key's order: a retry holds the key, later jobs wait behind it", async () => {
    await reset();
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    let refusals = 1;
    const registry = new JobRegistry().register("deliver", {
      schema: numbered,
      ordered: true,
      async handle(p) {
        if (p.n === 1 && refusals-- > 0) throw new RetryableError("CRM says later", 30_000);
      },
    });
    const deps = { db: t.db, registry, clock, logger: silentLogger };
    for (const n of [1, 2, 3]) {
      clock.advance(1);
      await enqueueJob(t.db, { kind: "deliver", payload: { n }, pace: { key: "conversation:X", minIntervalMs: 0, jitterMs: 0 }, maxAttempts: 5 }, clock.now());
    }
    const done: number[] = [];
    for (let round = 0; round < 6; round++) {
      for (const job of await claimJobs(t.db, { now: clock.now(), leaseMs: 60_000, limit: 10 })) {
        if ((await processJob(deps, job)) === "done") done.push((job.payload as { n: number }).n);
      }
      clock.advance(10_000);
    }
    expect(done).toEqual([1, 2, 3]);
  });
});
