import type { z } from "zod";
import { type CallOptions, callProvider } from "../http.js";
import { type ProviderContext, ProviderPermanentError, ProviderRetryableError } from "../types.js";
import { type EvolutionCredentials, errorBodySchema } from "./schema.js";

export type Ctx = ProviderContext<EvolutionCredentials>;

/** The human part of an Evolution error body: `response.message` is a string or an array of strings/objects. */
function errorText(body: unknown): string {
  const parsed = errorBodySchema.safeParse(body);
  const message = parsed.success ? parsed.data.response?.message : undefined;
  const text = message === undefined ? body : message;
  return (typeof text === "string" ? text : JSON.stringify(text) ?? "").slice(0, 300);
}

/** `exists:false` anywhere in `response.message` (an OnWhatsAppDto, sometimes wrapped in an array). */
function saysNoAccount(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(saysNoAccount);
  return typeof value === "object" && value !== null && (value as { exists?: unknown }).exists === false;
}

/**
 * Evolution specifics on top of the default status mapping (channels-next.md 4 "Errors"):
 * - 400 whose message is an OnWhatsAppDto with `exists:false`: the number has no WhatsApp;
 * - 400 "Connection Closed": Baileys is reconnecting (it does so by itself unless logged out,
 *   whatsapp.baileys.service.ts connectionUpdate), so the send is worth retrying; a logged-out
 *   instance is reported by its CONNECTION_UPDATE event and status();
 * - 404 `The "x" instance does not exist`: the channel's instance is gone (deleted on the server);
 * 401/403 (wrong key), 429 and 5xx keep the default mapping.
 */
export function refineEvolutionError(status: number, body: unknown): Error | undefined {
  if (status !== 400 && status !== 404) return undefined;
  const parsed = errorBodySchema.safeParse(body);
  const message = parsed.success ? parsed.data.response?.message : undefined;
  const text = errorText(body);
  if (status === 404 && /instance (does not exist|.*not found)|not found.*instance/i.test(text)) {
    return new ProviderPermanentError("not_connected", `Evolution API: ${text} (create the instance again or fix its name)`);
  }
  if (status === 400 && saysNoAccount(message)) {
    return new ProviderPermanentError("no_messenger", `Evolution API: the number has no WhatsApp account (${text})`);
  }
  if (status === 400 && /connection closed|not connected|connection (lost|failure)/i.test(text)) {
    return new ProviderRetryableError("not_connected", `Evolution API: the instance is not connected (${text})`);
  }
  if (status === 400) return new ProviderPermanentError("bad_request", `Evolution API refused the request: ${text}`);
  return undefined;
}

/** `{apiUrl}/{path}` with the `apikey` header; `path` already carries the URL-encoded instance name. */
export function evolutionCall<S extends z.ZodType>(
  ctx: Ctx,
  path: string,
  schema: S,
  opts: CallOptions = {},
  /** a call's own reading of an error, before the common one */
  refine?: (status: number, body: unknown) => Error | undefined,
): Promise<z.output<S>> {
  return callProvider(
    ctx,
    `${ctx.credentials.apiUrl}/${path}`,
    schema,
    { ...opts, headers: { apikey: ctx.credentials.apiKey, ...opts.headers } },
    (status, body) => refine?.(status, body) ?? refineEvolutionError(status, body),
  );
}

/** `<group>/<action>/<instance>`, the shape of every per-instance route. */
export function instancePath(ctx: Ctx, route: string): string {
  return `${route}/${encodeURIComponent(ctx.credentials.instanceName)}`;
}
