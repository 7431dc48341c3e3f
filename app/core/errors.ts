import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isDatabaseUnavailable } from "./database-errors.js";

/** Every error code the HTTP APIs can answer with; listed once, mapped to a status once. */
export const ERROR_STATUS = {
  invalid_token: 404,
  token_revoked: 404,
  not_found: 404,
  invalid_phone: 400,
  missing_parameter: 400,
  invalid_parameter: 400,
  invalid_body: 400,
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  /** the channel sent its daily cap of messages (or new chats) and the caller asked not to wait (if_capped=fail) */
  daily_cap_reached: 429,
  channel_not_connected: 409,
  conflict: 409,
  no_messenger: 422,
  /** the chat or user does not exist for this channel (a Telegram chat id the bot never saw) */
  invalid_recipient: 422,
  /** outside the 24-hour customer-service window (WhatsApp Cloud API): only a template may be sent */
  template_required: 422,
  /** the template does not exist, is not approved, or its values do not fit */
  template_invalid: 422,
  /** the provider refused a message for a reason the caller cannot fix by retrying as is */
  send_failed: 422,
  /** the channel's provider has no such feature (e.g. checkPhone) */
  unsupported: 422,
  file_unreachable: 422,
  // 422, not 413: the request is small, it is the linked file that is too large
  file_too_large: 422,
  unavailable: 503,
  /** the database cannot be reached right now: nothing was stored, retry after Retry-After */
  database_unavailable: 503,
  internal: 500,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  override readonly name = "AppError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: { retryAfterMs?: number; field?: string },
  ) {
    super(message);
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }
}

export interface ErrorBody {
  ok: false;
  error: ErrorCode;
  message: string;
  request_id?: string;
  field?: string;
}

/** How long a caller should wait when the database is away: a restart or failover takes seconds. */
const DATABASE_RETRY_AFTER_MS = 5_000;

/**
 * An error that is not ours, turned into the AppError it means: a database that cannot be
 * reached is a 503 with Retry-After (providers and integrators retry), anything else stays
 * unknown (500, logged by the caller).
 */
export function knownError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (isDatabaseUnavailable(err)) {
    return new AppError("database_unavailable", "The database cannot be reached right now; nothing was stored: retry shortly", {
      retryAfterMs: DATABASE_RETRY_AFTER_MS,
    });
  }
  return undefined;
}

/** Turns anything thrown into the public JSON error shape; internals never leave the process. */
export function errorResponse(c: Context, thrown: unknown, requestId?: string): Response {
  const err = knownError(thrown);
  if (err) {
    const body: ErrorBody = { ok: false, error: err.code, message: err.message };
    if (err.details?.field) body.field = err.details.field;
    if (requestId) body.request_id = requestId;
    if (err.details?.retryAfterMs !== undefined) {
      c.header("Retry-After", String(Math.max(1, Math.ceil(err.details.retryAfterMs / 1000))));
    }
    return c.json(body, err.status);
  }
  const body: ErrorBody = { ok: false, error: "internal", message: "Internal error" };
  if (requestId) body.request_id = requestId;
  return c.json(body, 500);
}
