import { Hono } from "hono";
import { AppError } from "../../core/errors.js";
import { MemoryMetrics } from "../../core/metrics.js";
import { collectDbGauges } from "../../core/scrape-gauges.js";
import { timingSafeEqual } from "../../core/tokens.js";
import { bytesToBase64Url } from "../../core/encoding.js";
import type { AppEnv } from "../../deps.js";

async function digest(value: string): Promise<string> {
  return bytesToBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value))));
}

/**
 * GET /metrics: Prometheus text format. Off (404, like any unknown path) unless METRICS_TOKEN is
 * set; then `Authorization: Bearer <METRICS_TOKEN>` is required. The token is compared as a
 * hash so the comparison time shows neither its content nor its length.
 * Node answers its process counters plus the database gauges; Workers only the database gauges
 * (their counters go to Analytics Engine or the logs, see README "Metrics").
 */
export const metricsRoute = new Hono<AppEnv>().get("/metrics", async (c) => {
  const deps = c.var.deps;
  const expected = deps.config.METRICS_TOKEN;
  if (!expected) throw new AppError("not_found", "No route for GET /metrics");
  const given = /^Bearer\s+(.+)$/i.exec(c.req.header("authorization") ?? "")?.[1]?.trim() ?? "";
  if (!timingSafeEqual(await digest(given), await digest(expected))) {
    throw new AppError("unauthorized", "A valid metrics bearer token is required");
  }
  const scrape = new MemoryMetrics();
  await collectDbGauges(deps.db, scrape, deps.clock.now());
  const body = `${deps.metrics?.render?.() ?? ""}${scrape.render()}`;
  return c.body(body, 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store" });
});
