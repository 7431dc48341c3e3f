import type { z } from "zod";
import { type CallOptions, callProvider } from "../http.js";
import { type ProviderContext, ProviderPermanentError, ProviderRetryableError } from "../types.js";
import { errorBodySchema, type WahaCredentials } from "./schema.js";

export type Ctx = ProviderContext<WahaCredentials>;

/** The session named in the credentials does not exist on the server (describe and configureWebhook create it). */
export class WahaSessionMissing extends ProviderPermanentError {}

/** A session that is (re)starting answers 422 for a few seconds: worth one more try soon. */
const STARTING_RETRY_MS = 30_000;

/** The key goes in `X-Api-Key` on every call (channels-next.md 3); never in the URL, which may be logged. */
export function apiKeyHeaders(ctx: Ctx): Record<string, string> {
  return { "x-api-key": ctx.credentials.apiKey };
}

function errorText(body: unknown): { text: string; status?: string | undefined } {
  const parsed = errorBodySchema.safeParse(body);
  if (!parsed.success) return { text: typeof body === "string" ? body.slice(0, 300) : "" };
  const { message, error, status } = parsed.data;
  const parts = [
    typeof error === "string" ? error : (error?.message ?? error?.key),
    Array.isArray(message) ? message.join("; ") : message,
  ].filter((s): s is string => typeof s === "string" && s !== "");
  return { text: parts.join(": ").slice(0, 300), status };
}

/**
 * WAHA's NestJS errors (channels-next.md 3 "Errors") on top of the default status mapping:
 * a session that is not WORKING (422 with `status`/`expected`) or unknown (404 "Session not
 * found", "We didn't find a session…") cannot send until the admin scans the QR or the
 * session is created: not_connected, retried soon only while it is STARTING; a feature the
 * engine lacks is unsupported; a Core server refuses every session name but `default`.
 */
export function refineWahaError(status: number, body: unknown): Error | undefined {
  if (status !== 404 && status !== 422) return undefined;
  const { text, status: sessionStatus } = errorText(body);
  if (status === 422 && sessionStatus) {
    const message = `WAHA session is ${sessionStatus}, not WORKING: ${text}`;
    return sessionStatus === "STARTING" ? new ProviderRetryableError("not_connected", message, STARTING_RETRY_MS) : new ProviderPermanentError("not_connected", message);
  }
  if (/session/i.test(text) && /(not found|didn't find|does not exist)/i.test(text)) {
    return new WahaSessionMissing("not_connected", `WAHA has no such session (${text}): save the channel again to create it`);
  }
  if (/not implemented by the engine/i.test(text)) return new ProviderPermanentError("unsupported", `WAHA: ${text}`);
  if (/only 'default' session|only "default" session/i.test(text)) {
    return new ProviderPermanentError("invalid_credentials", `WAHA Core runs only the session "default": ${text}`);
  }
  return undefined;
}

/** One WAHA call: `<apiUrl><path>` with the key, errors mapped, the answer checked by `schema`. */
export function wahaCall<S extends z.ZodType>(ctx: Ctx, path: string, schema: S, opts: CallOptions = {}): Promise<z.output<S>> {
  return callProvider(ctx, `${ctx.credentials.apiUrl}${path}`, schema, { ...opts, headers: { ...apiKeyHeaders(ctx), ...opts.headers } }, refineWahaError);
}

/** `/api/sessions/{session}`: the name is checked by the credentials schema, encoded anyway. */
export function sessionPath(ctx: Ctx, tail = ""): string {
  return `/api/sessions/${encodeURIComponent(ctx.credentials.session)}${tail}`;
}
