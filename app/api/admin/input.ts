import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { z } from "zod";
import { AppError, errorResponse } from "../../core/errors.js";
import { parseJsonObject } from "../../core/json-object.js";

/** Admin bodies are small settings objects; credentials are the largest part. */
const MAX_BODY_BYTES = 64 * 1024;

export const adminBodyLimit = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: (c) => errorResponse(c, new AppError("invalid_body", `the request body is larger than ${MAX_BODY_BYTES / 1024} KB`), c.get("requestId")),
});

/**
 * The body as an object: JSON (what the settings pages send), or a form post (what a Bitrix24
 * frame POST carries, so a page can forward it as is). An empty body is an empty object.
 */
export async function readBody(c: Context): Promise<Record<string, unknown>> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const text = await c.req.text();
  if (text.trim() === "") return {};
  if (type === "application/x-www-form-urlencoded") return Object.fromEntries(new URLSearchParams(text));
  if (type !== "application/json" && !type.endsWith("+json")) {
    throw new AppError("invalid_body", `unsupported Content-Type ${type || "(none)"}: send application/json`);
  }
  return parseJsonObject(text);
}

/**
 * Checks input against a route's schema; the error names the first wrong field (its full
 * path, e.g. `credentials.apiToken`), `missing_parameter` when it is absent.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: Record<string, unknown>): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.map(String).join(".") || "body";
  const top = issue.path[0];
  if (typeof top === "string" && input[top] === undefined) {
    throw new AppError("missing_parameter", `${field} is required`, { field });
  }
  throw new AppError("invalid_parameter", `${field}: ${issue.message}`, { field });
}

export async function parseBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  return parseInput(schema, await readBody(c));
}

export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  return parseInput(schema, c.req.query());
}
