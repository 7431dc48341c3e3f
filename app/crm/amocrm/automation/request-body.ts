import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AppError, errorResponse } from "../../../core/errors.js";
import { parseJsonObject } from "../../../core/json-object.js";
import type { AppEnv } from "../../../deps.js";
import { parseBracketForm } from "../../bitrix24/bracket-form.js";

/** Salesbot and DP posts are a token, a few settings and an event: 64 KiB is far above them. */
export const automationBodyLimit = bodyLimit({
  maxSize: 64 * 1024,
  onError: (c) => errorResponse(c, new AppError("invalid_body", "request body is too large"), c.get("requestId")),
});

/**
 * The body of a Salesbot `widget_request` (JSON, reference/amocrm.md 4.2) or a DP action call
 * (4.1: JSON or form, unverified which, so both; a form uses PHP bracket keys like amoCRM's
 * other hooks, 5.6). Without a telling Content-Type, a body that looks like JSON is read as JSON.
 * Only the shape is read here: fields are checked after the caller is authenticated.
 */
export async function readAutomationBody(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const text = await c.req.text();
  const asJson = type === "application/json" || type.endsWith("+json") || (type !== "application/x-www-form-urlencoded" && /^\s*\{/.test(text));
  return asJson ? parseJsonObject(text) : parseBracketForm(text);
}
