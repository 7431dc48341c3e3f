import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AppError, errorResponse } from "../../../core/errors.js";
import type { AppEnv } from "../../../deps.js";
import { type BracketObject, parseBracketForm } from "../bracket-form.js";

/** Bitrix24 handler posts are small (tokens, one event); 1 MiB leaves room for long messages. */
export const bitrix24BodyLimit = bodyLimit({
  maxSize: 1024 * 1024,
  onError: (c) => errorResponse(c, new AppError("invalid_body", "request body is too large"), c.get("requestId")),
});

/** Reads a Bitrix24 handler POST: form-encoded with PHP bracket keys (reference/bitrix24.md section 0). */
export async function readBracketBody(c: Context<AppEnv>): Promise<BracketObject> {
  const type = c.req.header("content-type") ?? "";
  if (!type.includes("application/x-www-form-urlencoded")) {
    throw new AppError("invalid_body", "Bitrix24 handlers take application/x-www-form-urlencoded bodies");
  }
  return parseBracketForm(await c.req.text());
}
