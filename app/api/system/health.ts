import { sql } from "drizzle-orm";
import { Hono } from "hono";
import { queryRows } from "../../db/index.js";
import type { AppEnv } from "../../deps.js";
import { APP_VERSION } from "../../version.js";

/** GET /health: load balancers and monitoring. 200 when the database answers, 503 otherwise. */
export const health = new Hono<AppEnv>().get("/health", async (c) => {
  const { db, config, logger } = c.var.deps;
  const started = Date.now();
  try {
    const [row] = await queryRows<{ due: number | string; dead: number | string }>(
      db,
      sql`select count(*) filter (where status = 'pending') as due,
                 count(*) filter (where status = 'dead') as dead
          from outbox_jobs where status in ('pending', 'dead')`,
    );
    return c.json({
      ok: true,
      service: "chatbridge",
      version: APP_VERSION,
      runtime: config.runtime,
      db: { status: "ok", latency_ms: Date.now() - started },
      outbox: { pending: Number(row?.due ?? 0), dead: Number(row?.dead ?? 0) },
    });
  } catch (err) {
    logger.error("health: database check failed", { error: err instanceof Error ? err.message : String(err) });
    return c.json(
      { ok: false, service: "chatbridge", version: APP_VERSION, runtime: config.runtime, db: { status: "error" } },
      503,
    );
  }
});
