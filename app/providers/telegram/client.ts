import type { z } from "zod";
import { type CallOptions, callProvider } from "../http.js";
import { type ProviderContext, type ProviderErrorCode, ProviderPermanentError, ProviderRetryableError } from "../types.js";
import { errorEnvelopeSchema, type TelegramCredentials } from "./schema.js";

export type TelegramCtx = ProviderContext<TelegramCredentials>;

/**
 * A 400/403 Telegram answer with its description kept, so a send can react to it: switch to the
 * supergroup's new chat id, resend without markup, or upload a file Telegram could not fetch.
 */
export class TelegramRequestError extends ProviderPermanentError {
  constructor(
    code: ProviderErrorCode,
    message: string,
    readonly description: string,
    readonly migrateToChatId?: string,
  ) {
    super(code, message);
  }
}

/** The API host: the channel's own Bot API server, else the configured one (both without a trailing slash). */
export function telegramBase(ctx: TelegramCtx): string {
  const base = ctx.credentials.apiUrl ?? ctx.config.TELEGRAM_API_URL;
  if (!base) throw new ProviderPermanentError("bad_request", "the Telegram API URL is not configured (TELEGRAM_API_URL)");
  return base;
}

/** Replaces the bot token wherever it might have slipped into a text that leaves the provider. */
export function withoutToken(text: string, token: string): string {
  return text.split(token).join("<bot token>");
}

// Error strings come from library issue logs, not a catalogue: match error_code first, then the
// description (channels-next.md 1 "Errors").
const NO_MESSENGER = /blocked by the user|user is deactivated|can't initiate conversation|bot was kicked|not a member/i;
const NO_RECIPIENT = /chat not found|PEER_ID_INVALID|user not found/i;

/** Maps Telegram's error envelope to our error types; undefined leaves it to callProvider's defaults. */
export function telegramError(method: string, status: number, body: unknown): Error | undefined {
  if (status >= 200 && status < 300 && !(body && typeof body === "object" && "ok" in body && body.ok === false)) return undefined;
  const parsed = errorEnvelopeSchema.safeParse(body);
  // not Telegram's envelope (a proxy's HTML, an empty 429): the generic mapping, Retry-After header included
  if (!parsed.success) return undefined;
  const envelope = parsed.data;
  const code = envelope.error_code ?? status;
  const description = envelope.description ?? `error ${code}`;
  const text = `Telegram ${method}: ${description}`;
  if (code === 429) {
    const after = envelope.parameters?.retry_after;
    // channels-next.md 1: "On 429 sleep exactly parameters.retry_after seconds"
    return after !== undefined ? new ProviderRetryableError("rate_limited", text, after * 1000) : undefined;
  }
  // 404 "Not Found" is what the Bot API answers for a malformed or unknown token
  if (code === 401 || code === 404) return new ProviderPermanentError("invalid_credentials", `Telegram refused the bot token (${description})`);
  if (code === 403) {
    // Telegram's 403s are about one chat (blocked, kicked), never about the token
    return new TelegramRequestError(NO_MESSENGER.test(description) ? "no_messenger" : "rejected", text, description);
  }
  if (code === 400) {
    const migrate = envelope.parameters?.migrate_to_chat_id;
    if (migrate !== undefined) return new TelegramRequestError("invalid_recipient", text, description, String(migrate));
    return new TelegramRequestError(NO_RECIPIENT.test(description) ? "invalid_recipient" : "bad_request", text, description);
  }
  return undefined;
}

/**
 * `POST {base}/bot{token}/{method}` with a JSON or multipart body (channels-next.md 1). The token
 * is a path segment: callProvider names only the host in its errors, and anything else that
 * could carry it is scrubbed here before it leaves.
 */
export async function telegramCall<S extends z.ZodType>(
  ctx: TelegramCtx,
  method: string,
  schema: S,
  body: Record<string, unknown> | FormData = {},
  opts: Pick<CallOptions, "timeoutMs"> = {},
): Promise<z.output<S>> {
  const token = ctx.credentials.botToken;
  const url = `${telegramBase(ctx)}/bot${token}/${method}`;
  try {
    return await callProvider(ctx, url, schema, { method: "POST", body, ...opts }, (status, answer) => telegramError(method, status, answer));
  } catch (err) {
    if (err instanceof Error && err.message.includes(token)) err.message = withoutToken(err.message, token);
    throw err;
  }
}
