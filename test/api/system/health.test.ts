import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../../app/db/index.js";
import type { AppDeps } from "../../../app/deps.js";
import { createApp } from "../../../app/index.js";
import { backends, openTestDb, type TestDb } from "../../support/db.js";
import { testConfig, testDeps } from "../../support/deps.js";

/** A database whose queries never answer (a stuck pool, a partition). */
const hangingDb = new Proxy({} as Db, { get: () => () => new Promise<never>(() => {}) });
/** A database that must not be touched at all. */
const untouchableDb = new Proxy({} as Db, {
  get: () => {
    throw new Error("the database was used");
  },
});

describe.each(await backends())("GET /health, /health/live, /health/ready on %s", (backend) => {
  let t: TestDb;
  let deps: AppDeps;
  beforeAll(async () => {
    t = await openTestDb(backend);
    deps = await testDeps(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("happy: /health keeps its fields and adds each readiness check", async () => {
    const res = await createApp(deps).request("/health");
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      ok: true,
      service: "chatbridge",
      runtime: "node",
      db: { status: "ok" },
      outbox: { pending: 0, dead: 0 },
      ready: { ok: true, database: { status: "ok" }, migrations: { status: "ok", detail: "0009_failover_caps" }, pump: { status: "skipped" } },
    });
    expect(typeof body.version).toBe("string");
  });

  it("happy: /health/ready is 200 with the database up, migrations applied and the pump ticking", async () => {
    const res = await createApp({ ...deps, pumpHeartbeat: () => new Date() }).request("/health/ready");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      ok: true,
      database: { status: "ok" },
      migrations: { status: "ok", detail: "0009_failover_caps" },
      pump: { status: "ok" },
    });
  });

  it("error: a stalled or not yet started pump makes the process not ready; Workers skip the check", async () => {
    const stalled = await createApp({ ...deps, pumpHeartbeat: () => new Date(Date.now() - 120_000) }).request("/health/ready");
    expect(stalled.status).toBe(503);
    expect(await stalled.json()).toMatchObject({ ok: false, pump: { status: "fail" } });
    const notStarted = await createApp({ ...deps, pumpHeartbeat: () => undefined }).request("/health/ready");
    expect(notStarted.status).toBe(503);
    const workers = { ...deps, config: { ...deps.config, runtime: "workers" as const }, pumpHeartbeat: () => undefined };
    const onWorkers = await createApp(workers).request("/health/ready");
    expect(onWorkers.status).toBe(200);
    expect(await onWorkers.json()).toMatchObject({ pump: { status: "skipped" } });
  });

  it("error: a database missing this build's latest migration is not ready", async () => {
    const own = await openTestDb(backend);
    try {
      await own.db.execute(sql`delete from drizzle.__drizzle_migrations where created_at = (select max(created_at) from drizzle.__drizzle_migrations)`);
      const ownDeps = await testDeps(own.db);
      const res = await createApp(ownDeps).request("/health/ready");
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ ok: false, database: { status: "ok" }, migrations: { status: "fail" } });
      // /health still reports the database as up (load balancers), with the failed check in `ready`
      const health = await createApp(ownDeps).request("/health");
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true, ready: { ok: false, migrations: { status: "fail" } } });
      await own.db.execute(sql`drop table drizzle.__drizzle_migrations`);
      expect(await (await createApp(ownDeps).request("/health/ready")).json()).toMatchObject({ migrations: { status: "fail", detail: "no migrations applied" } });
    } finally {
      await own.close();
    }
  });
});

describe("health without a usable database", () => {
  it("/health answers 503 unavailable within about a second when the database hangs", async () => {
    const deps = { ...(await testDeps(hangingDb)), config: testConfig() };
    const started = Date.now();
    const res = await createApp(deps).request("/health");
    expect(Date.now() - started).toBeLessThan(1800);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ ok: false, db: { status: "unavailable" }, ready: { ok: false, database: { status: "fail" } } });
    const ready = await createApp(deps).request("/health/ready");
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ok: false, database: { status: "fail" } });
  });

  it("/health/live answers 200 without touching the database", async () => {
    const deps = await testDeps(untouchableDb);
    const res = await createApp(deps).request("/health/live");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, service: "chatbridge", runtime: "node" });
  });
});
