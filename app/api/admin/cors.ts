import { cors } from "hono/cors";
import { parseAccountHost } from "../../crm/amocrm/account-host.js";
import type { AppEnv } from "../../deps.js";
import type { Context } from "hono";

/**
 * The amoCRM widget runs on the account's own page (`https://<account>.amocrm.ru`,
 * `.kommo.com`, `.amocrm.com`) and calls this API with fetch / `$authorizedAjax`, so those
 * origins may read the answers (reference/amocrm.md 3.3: "your server must allow CORS from the
 * account domain"); loopback origins only under OUTBOUND_ALLOW_LOOPBACK (tests). Only the exact
 * origin form is allowed, never `*`, and never with credentials: the API authenticates by a
 * bearer header, not cookies, so a browser sends nothing on its own.
 */
export function allowedWidgetOrigin(origin: string, allowLoopback: boolean): string | null {
  if (origin === "") return null;
  const host = parseAccountHost(origin, allowLoopback);
  return host && host.baseUrl === origin.toLowerCase() ? origin : null;
}

export const adminCors = cors({
  origin: (origin: string, c: Context<AppEnv>) => allowedWidgetOrigin(origin, c.var.deps.config.OUTBOUND_ALLOW_LOOPBACK),
  allowMethods: ["GET", "POST", "PATCH", "DELETE"],
  allowHeaders: ["Authorization", "X-Auth-Token", "Content-Type", "X-Request-Id"],
  exposeHeaders: ["X-Request-Id", "Retry-After"],
  maxAge: 600,
  credentials: false,
});
