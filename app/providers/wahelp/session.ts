import type { z } from "zod";
import { type CallOptions, callProvider } from "../http.js";
import { type ProviderContext, ProviderPermanentError } from "../types.js";
import { loginAnswer, type WahelpCredentials } from "./schema.js";

type Ctx = ProviderContext<WahelpCredentials>;

/** Re-login this long before the token's stated expiry, so a call never races the deadline. */
export const TOKEN_REFRESH_MARGIN_MS = 60_000;

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Raised by the refine hook on HTTP 401 so the caller can log in again once. */
class TokenRejected extends Error {}

export function wahelpBaseUrl(ctx: Ctx): string {
  const base = ctx.credentials.apiUrl ?? ctx.config.WAHELP_API_URL;
  if (!base) {
    // Wahelp does not publish its API host (reference/providers.md 6a)
    throw new ProviderPermanentError(
      "bad_request",
      "the Wahelp host must be configured: set apiUrl in the channel credentials or WAHELP_API_URL",
    );
  }
  return base;
}

/** Wahelp's error text [U]: the seed shows only successes; `message`/`error`/`errors` are tried. */
export function wahelpErrorText(body: unknown): string {
  if (typeof body === "string") return body.slice(0, 300);
  if (body === null || typeof body !== "object") return "";
  const rec = body as Record<string, unknown>;
  for (const key of ["message", "error", "errors", "data"]) {
    const v = rec[key];
    if (typeof v === "string" && v !== "") return v.slice(0, 300);
    if (v && typeof v === "object") {
      const nested = Object.values(v as Record<string, unknown>)
        .flat()
        .filter((x): x is string => typeof x === "string");
      if (nested.length > 0) return nested.join("; ").slice(0, 300);
      const inner = wahelpErrorText(v);
      if (inner) return inner;
    }
  }
  return "";
}

// Seed 000 §4 gives the error only in Russian ("у номера нет нужного мессенджера"); the English
// wording is a guess [U].
const NO_MESSENGER = /нет нужного мессенджера|нет (такого )?мессенджера|no (such |required |needed )?messenger/i;

/**
 * Turns Wahelp's `{"success":false,…}` answers (which may come with HTTP 200 or 4xx) into typed
 * errors; HTTP 401 becomes TokenRejected so the token is renewed once.
 */
function refineWahelpError(status: number, body: unknown): Error | undefined {
  if (status === 401) return new TokenRejected();
  const failed = body !== null && typeof body === "object" && (body as { success?: unknown }).success === false;
  if (!failed && status < 400) return undefined;
  const text = wahelpErrorText(body);
  if (NO_MESSENGER.test(text)) return new ProviderPermanentError("no_messenger", `Wahelp: ${text}`);
  if (!failed || status === 403 || status >= 429) return undefined; // default mapping: 403, 429, 5xx
  return new ProviderPermanentError("rejected", `Wahelp refused the request: ${text || "no reason given"}`);
}

function cacheKeys(ctx: Ctx, base: string) {
  const who = `${ctx.credentials.login}@${base}`;
  return { token: `wahelp:token:${who}`, flight: `wahelp:login:${who}` };
}

async function login(ctx: Ctx, base: string): Promise<CachedToken> {
  const startedAt = ctx.clock.now().getTime();
  const answer = await callProvider(
    ctx,
    `${base}/api/app/user/login`,
    loginAnswer,
    { method: "POST", body: { login: ctx.credentials.login, password: ctx.credentials.password } },
    (status, body) => {
      const failed = body !== null && typeof body === "object" && (body as { success?: unknown }).success === false;
      if (status === 401 || status === 403 || (failed && status < 500)) {
        return new ProviderPermanentError("invalid_credentials", `Wahelp login refused: ${wahelpErrorText(body) || status}`);
      }
      return undefined;
    },
  );
  return { token: answer.data.access_token, expiresAt: startedAt + answer.data.expires_in * 1000 };
}

/**
 * A bearer token for this channel. The token lives 3600 s (seed 000 §1): it is cached in the
 * channel's cache and renewed shortly before expiry, or at once when `rejected` is the token a
 * call just got 401 for. Logins are single-flight: concurrent callers share one login promise,
 * so a burst of sends at expiry costs one login, not one per send.
 */
export async function wahelpToken(ctx: Ctx, base: string, rejected?: string): Promise<string> {
  const keys = cacheKeys(ctx, base);
  const cached = ctx.cache.get(keys.token) as CachedToken | undefined;
  const now = ctx.clock.now().getTime();
  if (cached && cached.token !== rejected && now < cached.expiresAt - TOKEN_REFRESH_MARGIN_MS) return cached.token;

  const fresh = await singleFlight(ctx, keys.flight, async () => {
    const issued = await login(ctx, base);
    ctx.cache.set(keys.token, issued);
    return issued;
  });
  return fresh.token;
}

/**
 * An authenticated call to a Wahelp path: bearer token plus `X-Project` (seed 000 §2 — project
 * scoped calls need it). On 401 the token is renewed and the call repeated once; a second 401
 * means the account itself is refused.
 */
export async function wahelpCall<S extends z.ZodType>(
  ctx: Ctx,
  path: string,
  schema: S,
  opts: CallOptions = {},
): Promise<z.output<S>> {
  const base = wahelpBaseUrl(ctx);
  const attempt = async (token: string) =>
    callProvider(
      ctx,
      `${base}${path}`,
      schema,
      { ...opts, headers: { ...opts.headers, authorization: `Bearer ${token}`, "x-project": ctx.credentials.projectId } },
      refineWahelpError,
    );

  const token = await wahelpToken(ctx, base);
  try {
    return await attempt(token);
  } catch (err) {
    if (!(err instanceof TokenRejected)) throw err;
  }
  const renewed = await wahelpToken(ctx, base, token);
  try {
    return await attempt(renewed);
  } catch (err) {
    if (err instanceof TokenRejected) {
      throw new ProviderPermanentError("invalid_credentials", "Wahelp rejected a freshly issued token (HTTP 401)");
    }
    throw err;
  }
}

/** Runs `work` once per key at a time in this channel; concurrent callers share its promise. */
export async function singleFlight<T>(ctx: Ctx, key: string, work: () => Promise<T>): Promise<T> {
  const existing = ctx.cache.get(key) as Promise<T> | undefined;
  if (existing) return existing;
  const flight = work().finally(() => ctx.cache.delete(key));
  ctx.cache.set(key, flight);
  return flight;
}
