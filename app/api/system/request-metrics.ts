import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { metricsOf } from "../../core/metrics.js";
import type { AppEnv } from "../../deps.js";

/**
 * Counts every answer and its latency by the route *pattern* Hono matched (`/rest/webhook/:kind/:token/:method`),
 * never the raw path, which carries webhook tokens and hook secrets. A request no route
 * matched is counted as `unmatched`, so scanners cannot create series at will.
 */
export const requestMetrics: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = performance.now();
  await next();
  const seconds = (performance.now() - started) / 1000;
  const last = matchedRoutes(c)[c.req.routeIndex];
  // the last handler that ran was a middleware (method ALL): no route answered
  const route = !last || (last.method === "ALL" && c.res.status === 404) ? "unmatched" : last.path;
  const method = KNOWN_METHODS.has(c.req.method) ? c.req.method : "OTHER";
  const metrics = metricsOf(c.var.deps);
  metrics.inc("chatbridge_http_requests_total", { route, method, status: c.res.status });
  metrics.observe("chatbridge_http_request_duration_seconds", { route, method }, seconds);
};

const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
