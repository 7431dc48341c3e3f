import { Hono } from "hono";
import { isDatabaseUnavailable } from "../../core/database-errors.js";
import { AppError, errorResponse } from "../../core/errors.js";
import { lookupWebhookToken } from "../../core/webhook-tokens.js";
import type { AppEnv } from "../../deps.js";
import { WEBHOOK_METHODS, WEBHOOK_ROUTE_PREFIX } from "./auth.js";
import { checkMessageStatus } from "./check-message-status.js";
import { checkPhone } from "./check-phone.js";
import { checkStatus } from "./check-status.js";
import { webhookDocs } from "./docs.js";
import { openApi } from "./openapi.js";
import { paramsBodyLimit } from "./params.js";
import { sendFile } from "./send-file.js";
import { sendForm } from "./send-form.js";
import { sendTemplate } from "./send-template.js";
import { sendText } from "./send-text.js";

/** The token is a secret: logs show the route with it masked. */
const redact = (path: string) => path.replace(/^(\/rest\/webhook\/[^/]+\/)[^/]+/, "$1***");

/**
 * The public webhook API (OLChat-compatible secret URLs), its OpenAPI document and its docs
 * page. Its own error handler keeps the token out of logs; answers have the shared JSON
 * error shape and never carry internals.
 */
export const webhookApi = new Hono<AppEnv>()
  .use(`${WEBHOOK_ROUTE_PREFIX}/*`, paramsBodyLimit)
  .route("/", openApi)
  .route("/", webhookDocs)
  .route("/", sendText)
  .route("/", sendFile)
  .route("/", sendTemplate)
  .route("/", sendForm)
  .route("/", checkPhone)
  .route("/", checkStatus)
  .route("/", checkMessageStatus)
  // registered last: only a method none of the routes above answered reaches it
  .on(["GET", "POST"], `${WEBHOOK_ROUTE_PREFIX}/:method`, async (c) => {
    await lookupWebhookToken(c.var.deps.db, c.req.param("kind"), c.req.param("token"), c.var.deps.config.LOOKUP_CACHE_MS);
    throw new AppError("not_found", `Unknown method ${c.req.param("method")}; methods: ${WEBHOOK_METHODS.join(", ")}`);
  });

webhookApi.onError((err, c) => {
  if (isDatabaseUnavailable(err)) {
    c.var.deps.logger.warn("request refused: database unavailable", { path: redact(c.req.path), error: err instanceof Error ? err.message : String(err) });
  } else if (!(err instanceof AppError)) {
    c.var.deps.logger.error("unhandled error", {
      request_id: c.var.requestId,
      path: redact(c.req.path),
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
  }
  return errorResponse(c, err, c.var.requestId);
});
