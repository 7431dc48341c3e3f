import type { z } from "zod";
import { AppError } from "../core/errors.js";
import { assertPublicUrl, outboundPolicy } from "../core/ssrf.js";
import {
  type ProviderContext,
  ProviderPermanentError,
  ProviderRetryableError,
} from "./types.js";

export interface CallOptions {
  method?: "GET" | "POST" | "PUT" | "DELETE" | "PATCH";
  headers?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  /** JSON-encoded unless it is already a string or FormData */
  body?: unknown;
  timeoutMs?: number;
}

/** Parses a Retry-After header (seconds or HTTP date) into milliseconds. */
export function retryAfterMs(value: string | null, now: Date): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/** Default mapping of an HTTP failure to a typed provider error; providers refine it from the body. */
export function errorForStatus(status: number, detail: string, retryAfter?: number): Error {
  if (status === 429) return new ProviderRetryableError("rate_limited", `rate limited: ${detail}`, retryAfter);
  if (status >= 500) return new ProviderRetryableError("server_error", `provider error ${status}: ${detail}`, retryAfter);
  if (status === 401 || status === 403) {
    return new ProviderPermanentError("invalid_credentials", `credentials rejected (${status}): ${detail}`);
  }
  if (status === 408) return new ProviderRetryableError("timeout", `provider timeout: ${detail}`);
  return new ProviderPermanentError("bad_request", `provider refused the request (${status}): ${detail}`);
}

/**
 * One HTTP call to a provider: SSRF-guarded (API hosts can come from tenant credentials),
 * time-limited, with transport and status failures mapped to typed errors and the JSON answer
 * checked by the schema. `refine` lets a provider turn an error body into a precise error
 * (e.g. "number has no messenger") before the default mapping applies.
 */
export async function callProvider<S extends z.ZodType>(
  ctx: ProviderContext<unknown>,
  url: string,
  schema: S,
  opts: CallOptions = {},
  refine?: (status: number, body: unknown) => Error | undefined,
): Promise<z.output<S>> {
  let target: URL;
  try {
    target = assertPublicUrl(url, outboundPolicy(ctx.config), "provider API URL");
  } catch (err) {
    throw new ProviderPermanentError("bad_request", err instanceof AppError ? err.message : "invalid provider URL");
  }
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) target.searchParams.set(k, String(v));

  const headers: Record<string, string> = { accept: "application/json", ...opts.headers };
  let body: BodyInit | undefined;
  if (opts.body !== undefined) {
    if (typeof opts.body === "string" || opts.body instanceof FormData) body = opts.body;
    else {
      body = JSON.stringify(opts.body);
      headers["content-type"] ??= "application/json";
    }
  }

  let res: Response;
  try {
    res = await ctx.fetch(target.toString(), {
      method: opts.method ?? (body === undefined ? "GET" : "POST"),
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 20_000),
      // a redirect could lead past the SSRF guard to an internal address: providers' APIs do not redirect
      redirect: "manual",
    });
  } catch (err) {
    const timeout = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    throw new ProviderRetryableError(
      timeout ? "timeout" : "network",
      `${timeout ? "timeout" : "network error"} calling ${target.host}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }

  if (res.status >= 300 && res.status < 400) {
    throw new ProviderPermanentError("bad_request", `${target.host} answered with a redirect (${res.status}); check the API URL`);
  }
  const text = await res.text();
  let parsedBody: unknown = text;
  try {
    parsedBody = text === "" ? null : JSON.parse(text);
  } catch {
    // not JSON: keep the text for the error message
  }
  const refined = refine?.(res.status, parsedBody);
  if (refined) throw refined;
  if (!res.ok) {
    throw errorForStatus(res.status, text.slice(0, 300), retryAfterMs(res.headers.get("retry-after"), ctx.clock.now()));
  }
  const checked = schema.safeParse(parsedBody);
  if (!checked.success) {
    // Permanent on purpose: after a 2xx the provider may have sent the message, and a retry
    // could send it twice; the dead letter stays visible and an admin can retry it.
    throw new ProviderPermanentError(
      "bad_response",
      `unexpected answer from ${target.host}: ${checked.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ").slice(0, 300)}`,
    );
  }
  return checked.data;
}
