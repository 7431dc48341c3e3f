import type { z } from "zod";
import { callProvider } from "../http.js";
import { type ProviderContext, ProviderPermanentError, ProviderRetryableError } from "../types.js";
import type { WammCredentials } from "./schema.js";

type Ctx = ProviderContext<WammCredentials>;

export type WammMethod = "msg_to" | "file_to" | "check_phone" | "msg_state" | "msg_get_last";

/**
 * WAMM's error strings (seed 002; reference/providers.md 6c) as typed errors. The list is what
 * the seed prints; an unknown string is kept as a permanent `rejected` with its text.
 */
export function wammError(err: string): Error {
  const text = `WAMM: ${err}`;
  switch (err.trim().toLowerCase()) {
    case "token fail":
      return new ProviderPermanentError("invalid_credentials", text);
    case "acc not authorized":
      // the WhatsApp session of the account is down: someone has to scan the QR on wamm.chat
      return new ProviderPermanentError("not_connected", text);
    case "phone fail":
      return new ProviderPermanentError("bad_number", text);
    case "no whatsapp on the number":
      return new ProviderPermanentError("no_messenger", text);
    case "phone not checked for whatsapp, please retry":
    case "fail execution":
      // WAMM itself says to try again
      return new ProviderRetryableError("server_error", text);
    case "text fail":
    case "text fail, more 1500":
    case "url fail":
    case "msg_id fail":
    case "msg not be":
    case "col fail or more 100":
      return new ProviderPermanentError("bad_request", text);
    default:
      return new ProviderPermanentError("rejected", text);
  }
}

/** `err` other than 0 is an error, whatever the HTTP status (WAMM answers 200 to everything). */
function refineWammError(tolerated: readonly string[]) {
  return (_status: number, body: unknown): Error | undefined => {
    if (body === null || typeof body !== "object" || !("err" in body)) return undefined;
    const err = (body as { err: unknown }).err;
    if (err === 0 || err === "0") return undefined;
    if (typeof err === "string" && tolerated.includes(err)) return undefined;
    return wammError(typeof err === "string" ? err : JSON.stringify(err));
  };
}

/**
 * GET {base}/api2/{method}/{token}/?… — every WAMM call has this shape (seed 002): the token is
 * a path segment and the trailing slash is part of the documented URL. `tolerated` error strings
 * reach the schema instead of becoming errors (e.g. "msgs not be" = no messages).
 */
export function wammCall<S extends z.ZodType>(
  ctx: Ctx,
  method: WammMethod,
  query: Record<string, string | number | undefined>,
  schema: S,
  tolerated: readonly string[] = [],
): Promise<z.output<S>> {
  const base = ctx.credentials.apiUrl ?? ctx.config.WAMM_API_URL;
  if (!base) return Promise.reject(new ProviderPermanentError("bad_request", "the WAMM API URL is not configured (WAMM_API_URL)"));
  return callProvider(
    ctx,
    `${base}/api2/${method}/${encodeURIComponent(ctx.credentials.token)}/`,
    schema,
    { method: "GET", query },
    refineWammError(tolerated),
  );
}
