import { Hono } from "hono";
import { adminApi } from "./api/admin/index.js";
import { fileDownload } from "./api/files/download.js";
import { phoneGateway } from "./api/gateway/routes.js";
import { providerHooks } from "./api/hooks/receive.js";
import { drainRequestBody } from "./api/system/drain-request-body.js";
import { health } from "./api/system/health.js";
import { home } from "./api/system/home.js";
import { metricsRoute } from "./api/system/metrics.js";
import { requestContext } from "./api/system/request-context.js";
import { requestMetrics } from "./api/system/request-metrics.js";
import { webhookApi } from "./api/webhook/index.js";
import { isDatabaseUnavailable } from "./core/database-errors.js";
import { AppError, errorResponse } from "./core/errors.js";
import { scrubError } from "./core/logger.js";
import { amocrmRoutes } from "./crm/amocrm/routes/index.js";
import { bitrix24Routes } from "./crm/bitrix24/routes/index.js";
import type { AppDeps, AppEnv } from "./deps.js";

export type { AppDeps, AppEnv } from "./deps.js";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The whole HTTP surface, the same on Node and on Workers; the runtime supplies deps. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use(drainRequestBody);
  app.use(async (c, next) => {
    const given = c.req.header("x-request-id");
    const requestId = given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    c.set("deps", deps);
    c.set("requestId", requestId);
    await next();
    c.header("X-Request-Id", requestId);
  });
  app.use(requestContext);
  app.use(requestMetrics);

  app.route("/", home);
  app.route("/", health);
  app.route("/", metricsRoute);
  app.route("/", fileDownload);
  app.route("/", providerHooks);
  app.route("/", phoneGateway);
  app.route("/", webhookApi);
  app.route("/", bitrix24Routes);
  app.route("/", amocrmRoutes);
  app.route("/", adminApi);

  // paths carry secrets (webhook tokens, hook secrets): never echo a token-like segment
  app.notFound((c) => {
    const path = c.req.path.replace(/[A-Za-z0-9_-]{20,}/g, "***");
    return errorResponse(c, new AppError("not_found", `No route for ${c.req.method} ${path}`), c.var.requestId);
  });
  app.onError((err, c) => {
    // a failed query's message lists its bound values (texts, credentials): never into a log line
    scrubError(err);
    if (isDatabaseUnavailable(err)) {
      deps.logger.warn("request refused: database unavailable", { route: c.req.routePath, error: err instanceof Error ? err.message : String(err) });
    } else if (!(err instanceof AppError)) {
      deps.logger.error("unhandled error", {
        request_id: c.var.requestId,
        path: c.req.path,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
    }
    return errorResponse(c, err, c.var.requestId);
  });
  return app;
}
