import type { MiddlewareHandler } from "hono";
import { withFields } from "../../core/logger.js";
import { runInScope } from "../../core/request-scope.js";
import type { AppEnv } from "../../deps.js";

/**
 * Every log line written while answering carries the request id: routes get a child logger in
 * c.var.deps, and code below them that logs through a logger it was given earlier (or enqueues
 * a job) finds the id in the request scope (core/request-scope.ts).
 */
export const requestContext: MiddlewareHandler<AppEnv> = async (c, next) => {
  const deps = c.var.deps;
  const ids = { request_id: c.var.requestId };
  c.set("deps", { ...deps, logger: withFields(deps.logger, ids) });
  await runInScope(ids, next);
};
