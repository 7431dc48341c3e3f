import { sql } from "drizzle-orm";
import { Hono } from "hono";
import { checkMigrations, checkPump, checkReadiness, type Check, TIMED_OUT, withTimeout } from "../../core/readiness.js";
import { queryRows } from "../../db/index.js";
import type { AppEnv } from "../../deps.js";
import { APP_VERSION } from "../../version.js";

/** A load balancer's probe must get an answer even when the database hangs (a stuck pool, a network partition). */
export const HEALTH_TIMEOUT_MS = 1000;

/**
 * GET /health: load balancers and monitoring. 200 when the database answers, 503 otherwise;
 * `ready` repeats the /health/ready checks. GET /health/live: the process answers (no database).
 * GET /health/ready: 200 only with the database up, every migration applied and (Node) the pump ticking.
 */
export const health = new Hono<AppEnv>()
  .get("/health", async (c) => {
    const { db, config, logger } = c.var.deps;
    const started = Date.now();
    const about = { service: "chatbridge", version: APP_VERSION, runtime: config.runtime };
    const pump = checkPump(c.var.deps);
    try {
      const answer = await withTimeout(
        Promise.all([
          queryRows<{ due: number | string; dead: number | string }>(
            db,
            sql`select count(*) filter (where status = 'pending') as due,
                       count(*) filter (where status = 'dead') as dead
                from outbox_jobs where status in ('pending', 'dead')`,
          ),
          checkMigrations(db),
        ]),
        HEALTH_TIMEOUT_MS,
      );
      if (answer === TIMED_OUT) {
        logger.error("health: database did not answer in time", { timeout_ms: HEALTH_TIMEOUT_MS });
        const database: Check = { status: "fail", detail: `no answer within ${HEALTH_TIMEOUT_MS} ms` };
        return c.json({ ok: false, ...about, db: { status: "unavailable" }, ready: { ok: false, database, migrations: { status: "skipped" }, pump } }, 503);
      }
      const [[row], migrations] = answer;
      return c.json({
        ok: true,
        ...about,
        db: { status: "ok", latency_ms: Date.now() - started },
        outbox: { pending: Number(row?.due ?? 0), dead: Number(row?.dead ?? 0) },
        ready: { ok: migrations.status !== "fail" && pump.status !== "fail", database: { status: "ok" }, migrations, pump },
      });
    } catch (err) {
      logger.error("health: database check failed", { error: err instanceof Error ? err.message : String(err) });
      const database: Check = { status: "fail", detail: "query failed" };
      return c.json({ ok: false, ...about, db: { status: "error" }, ready: { ok: false, database, migrations: { status: "skipped" }, pump } }, 503);
    }
  })
  .get("/health/live", (c) => c.json({ ok: true, service: "chatbridge", version: APP_VERSION, runtime: c.var.deps.config.runtime }))
  .get("/health/ready", async (c) => {
    const ready = await checkReadiness(c.var.deps, HEALTH_TIMEOUT_MS);
    return c.json(ready, ready.ok ? 200 : 503);
  });
