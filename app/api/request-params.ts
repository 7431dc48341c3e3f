import type { Context } from "hono";
import type { z } from "zod";
import { AppError } from "../core/errors.js";

/**
 * Reads a request's parameters the way form builders, 1C and phone automation apps send them:
 * GET query, POST form-encoded, multipart or JSON, all with the same names (query values are
 * the base; body values win). Checked by `schema`; the first problem becomes
 * `missing_parameter` or `invalid_parameter` naming the field.
 */
export async function readParams<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const params: Record<string, unknown> = { ...c.req.query() };
  if (c.req.method !== "GET" && c.req.method !== "HEAD") {
    const type = c.req.header("content-type") ?? "";
    try {
      if (type.includes("application/json")) {
        const body: unknown = await c.req.json();
        if (body && typeof body === "object" && !Array.isArray(body)) Object.assign(params, body);
        else throw new AppError("invalid_body", "JSON body must be an object");
      } else if (type.includes("form")) {
        const body = await c.req.parseBody();
        for (const [k, v] of Object.entries(body)) if (typeof v === "string") params[k] = v;
      }
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw new AppError("invalid_body", "request body could not be read as JSON or form data");
    }
  }
  const parsed = schema.safeParse(params);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = String(issue.path[0] ?? "body");
  const missing = params[field] === undefined || params[field] === "";
  throw new AppError(
    missing ? "missing_parameter" : "invalid_parameter",
    missing ? `${field} is required` : `${field}: ${issue.message}`,
    { field },
  );
}
