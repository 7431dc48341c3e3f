import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanup } from "../../app/core/maintenance.js";
import { CHECK_PHONE_LIMIT, hitRateLimit, WEBHOOK_API_LIMIT } from "../../app/core/rate-limit.js";
import { rateBuckets } from "../../app/db/schema.js";
import { openDatabase } from "../../worker/node-db.js";
import { backends, openTestDb, type TestDb } from "../support/db.js";

describe.each(await backends())("rate limiter on %s", (backend) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(backend);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("allows 5 requests per 3 s and says when the next one may come", async () => {
    const t0 = Date.UTC(2026, 0, 1);
    const at = (ms: number) => new Date(t0 + ms);
    for (let i = 0; i < 5; i++) {
      expect(await hitRateLimit(t.db, "tok:a", WEBHOOK_API_LIMIT, at(i * 100))).toEqual({ allowed: true, remaining: 4 - i });
    }
    expect(await hitRateLimit(t.db, "tok:a", WEBHOOK_API_LIMIT, at(600))).toEqual({ allowed: false, retryAfterMs: 2400 });
    // the window slides: the first hit leaves it at 3000 ms
    expect((await hitRateLimit(t.db, "tok:a", WEBHOOK_API_LIMIT, at(2999))).allowed).toBe(false);
    expect((await hitRateLimit(t.db, "tok:a", WEBHOOK_API_LIMIT, at(3001))).allowed).toBe(true);
    expect((await hitRateLimit(t.db, "tok:a", WEBHOOK_API_LIMIT, at(3002))).allowed).toBe(false);
    // another key has its own budget
    expect((await hitRateLimit(t.db, "tok:b", WEBHOOK_API_LIMIT, at(3002))).allowed).toBe(true);
  });

  it("allows 3 phone checks per second", async () => {
    const t0 = Date.UTC(2026, 0, 2);
    const results = [];
    for (let i = 0; i < 4; i++) results.push((await hitRateLimit(t.db, "check:a", CHECK_PHONE_LIMIT, new Date(t0 + i))).allowed);
    expect(results).toEqual([true, true, true, false]);
    expect((await hitRateLimit(t.db, "check:a", CHECK_PHONE_LIMIT, new Date(t0 + 1000))).allowed).toBe(true);
  });

  it("holds across instances: 30 concurrent hits from two connection pools admit exactly 5", async () => {
    const other = t.url ? await openDatabase({ url: t.url, poolSize: 5 }) : undefined;
    try {
      const now = new Date(Date.UTC(2026, 0, 3));
      const dbs = [t.db, other?.db ?? t.db];
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => hitRateLimit(dbs[i % 2]!, "tok:shared", WEBHOOK_API_LIMIT, now)),
      );
      expect(results.filter((r) => r.allowed)).toHaveLength(5);
    } finally {
      await other?.close();
    }
  });

  it("maintenance drops buckets idle for a day", async () => {
    await t.db.execute(sql`truncate rate_buckets`);
    const now = new Date();
    await hitRateLimit(t.db, "old", WEBHOOK_API_LIMIT, now);
    await t.db.execute(sql`update rate_buckets set updated_at = now() - interval '2 days'`);
    await hitRateLimit(t.db, "fresh", WEBHOOK_API_LIMIT, now);
    expect((await cleanup(t.db, now)).buckets).toBe(1);
    expect((await t.db.select().from(rateBuckets)).map((r) => r.key)).toEqual(["fresh"]);
  });
});
