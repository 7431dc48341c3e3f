import { errorForStatus } from "../http.js";
import { type ProviderErrorCode, ProviderPermanentError, ProviderRetryableError } from "../types.js";
import { type GraphError, graphErrorSchema, type WebhookError } from "./schema.js";

interface GraphCode {
  code: ProviderErrorCode;
  /** retryable codes carry our back-off; Meta sends no Retry-After with them */
  retryAfterMs?: number;
  retryable?: boolean;
  meaning: string;
}

const tokenRefused = (meaning: string): GraphCode => ({ code: "invalid_credentials", meaning });
const rateLimited = (retryAfterMs: number, meaning: string): GraphCode => ({ code: "rate_limited", retryable: true, retryAfterMs, meaning });
const serviceTrouble = (meaning: string): GraphCode => ({ code: "server_error", retryable: true, meaning });

/**
 * Graph error codes (channels-next.md 2 "Errors"). Marks follow the sheet: [V] read on Meta's own
 * pages, [U: 2nd-hand] quoted alike by several integrators, [U] ours (not in the sheet at all).
 */
export const GRAPH_ERROR_CODES: Record<number, GraphCode> = {
  1: serviceTrouble("API unknown: temporary, retry [U]"),
  2: serviceTrouble("API service: temporary downtime [U]"),
  3: tokenRefused("the app lacks the capability for this call [U]"),
  4: rateLimited(60_000, "application request limit reached [U]"),
  10: tokenRefused("permission not granted to the token [U]"),
  100: { code: "bad_request", meaning: "invalid parameter [U: 2nd-hand]" },
  102: tokenRefused("API session invalid: re-authenticate [U]"),
  190: tokenRefused("access token expired or invalid [U: 2nd-hand]"),
  200: tokenRefused("permission error [U]"),
  368: { code: "banned", meaning: "temporarily blocked for policy violations [U: 2nd-hand]" },
  463: tokenRefused("access token expired [U]"),
  467: tokenRefused("access token invalid [U]"),
  80007: rateLimited(60_000, "WhatsApp Business Account rate limit [U]"),
  130429: rateLimited(2_000, "throughput limit hit (80 msg/s by default) [V]"),
  131000: serviceTrouble("something went wrong [U]"),
  131005: tokenRefused("access denied [U]"),
  131008: { code: "bad_request", meaning: "required parameter missing [U]" },
  131009: { code: "bad_request", meaning: "parameter value invalid [U]" },
  131016: serviceTrouble("service unavailable [U]"),
  131021: { code: "bad_number", meaning: "recipient is the sending number itself [U]" },
  131026: { code: "no_messenger", meaning: "undeliverable: not on WhatsApp, old app or terms not accepted [U: 2nd-hand]" },
  131030: { code: "invalid_recipient", meaning: "recipient not in the test number's allowed list [U: 2nd-hand]" },
  131031: { code: "banned", meaning: "business account locked [U]" },
  131042: { code: "rejected", meaning: "business payment issue [U]" },
  131047: { code: "template_required", meaning: "more than 24 hours since the user's last message: send a template [U: 2nd-hand]" },
  131048: { code: "rejected", meaning: "spam rate limit hit [U: 2nd-hand]" },
  131049: { code: "rejected", meaning: "Meta chose not to deliver (marketing limits) [U: 2nd-hand]" },
  131051: { code: "bad_request", meaning: "unsupported message type [U]" },
  131053: { code: "rejected", meaning: "media upload error: Meta could not fetch or accept the file [U: 2nd-hand]" },
  // about 1 message per 6 s to one user (channels-next.md 2 "Limits")
  131056: rateLimited(6_000, "pair rate limit: too many messages to this recipient [U: 2nd-hand]"),
  // the upgrade takes up to a minute
  131057: rateLimited(60_000, "number in throughput upgrade [V]"),
  133010: { code: "not_connected", meaning: "phone number not registered on the Cloud API [U]" },
};

const TEMPLATE_ERROR: GraphCode = {
  code: "template_invalid",
  meaning: "template call refused: missing, not approved, paused, or parameters that do not fit [U: 2nd-hand]",
};

export function graphCodeOf(code: number): GraphCode | undefined {
  // 132000 param count, 132001 missing name+language, 132005 too long, 132007 policy, 132012 format, 132015/16 paused/disabled
  if (code >= 132000 && code <= 132999) return TEMPLATE_ERROR;
  return GRAPH_ERROR_CODES[code];
}

/**
 * Meta could not fetch the file we sent by link (131053). A subclass so send() can fall back to
 * uploading the file itself; anywhere else it is an ordinary permanent "rejected".
 */
export class MediaFetchFailed extends ProviderPermanentError {}

function describeGraphError(error: GraphError): string {
  const sub = error.error_subcode !== undefined ? `/${error.error_subcode}` : "";
  // details say why (which parameter, which template); titles and messages are generic
  const why = [error.error_data?.details, error.error_user_msg, error.message].find((s) => s && s.trim() !== "");
  const meaning = graphCodeOf(error.code)?.meaning;
  return `Graph error ${error.code}${sub}${meaning ? ` (${meaning})` : ""}${why ? `: ${why}` : ""}`.slice(0, 500);
}

/**
 * callProvider's `refine`: a Graph error body becomes the typed error of its code. Unknown codes
 * keep the HTTP mapping, and 429/5xx without a known code fall through so Retry-After is honoured.
 */
export function refineGraphError(status: number, body: unknown): Error | undefined {
  if (status < 400) return undefined;
  const parsed = graphErrorSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const error = parsed.data.error;
  const known = graphCodeOf(error.code);
  const message = describeGraphError(error);
  if (!known) return status === 429 || status >= 500 ? undefined : errorForStatus(status, message);
  if (known.retryable) return new ProviderRetryableError(known.code, message, known.retryAfterMs);
  if (error.code === 131053) return new MediaFetchFailed(known.code, message);
  return new ProviderPermanentError(known.code, message);
}

/** A failed status's first error (channels-next.md 2 "Status"): our code and a readable reason. */
export function failureOf(errors: readonly WebhookError[] | undefined): { code?: ProviderErrorCode; reason?: string } {
  const first = errors?.[0];
  if (!first) return {};
  const details = first.error_data?.details;
  const text = `${first.title ?? first.message ?? "error"}${details ? ` — ${details}` : ""}`;
  const reason = first.code !== undefined ? `${first.code}: ${text}` : text;
  const known = first.code !== undefined ? graphCodeOf(first.code) : undefined;
  // asynchronous failures are final for this message: a "retryable" code still means it was not sent
  const code: ProviderErrorCode =
    known && ["template_required", "no_messenger", "template_invalid", "invalid_recipient"].includes(known.code) ? known.code : "rejected";
  return { code, reason };
}

/**
 * Graph sometimes echoes what it could not parse ("Malformed access token EAAG…"), and a non-JSON
 * error body lands in the message as text: neither secret may reach a log or a CRM note.
 */
export function redactSecrets<E>(err: E, secrets: readonly string[]): E {
  if (!(err instanceof Error)) return err;
  for (const secret of secrets) {
    if (secret.length < 8) continue;
    err.message = err.message.split(secret).join("[redacted]");
    if (err.stack) err.stack = err.stack.split(secret).join("[redacted]");
  }
  return err;
}
