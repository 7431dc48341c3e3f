import type { z } from "zod";
import { type CallOptions, callProvider } from "../http.js";
import { type ProviderContext, ProviderPermanentError } from "../types.js";
import { redactSecrets, refineGraphError } from "./errors.js";
import type { WhatsAppCloudCredentials } from "./schema.js";

export type Ctx = ProviderContext<WhatsAppCloudCredentials>;

/** Meta's media host refused downloads without one (channels-next.md 6, Cloud API pitfalls). */
export const USER_AGENT = "chatbridge/1.0";

/** The Graph base with its version: credentials override (tests, a pinned version), else config. */
export function graphBase(ctx: Ctx): string {
  const base = ctx.credentials.apiUrl ?? ctx.config.WHATSAPP_CLOUD_API_URL;
  if (!base) throw new ProviderPermanentError("bad_request", "the Graph API URL is not configured (WHATSAPP_CLOUD_API_URL)");
  return base.replace(/\/+$/, "");
}

export function bearer(ctx: Ctx): Record<string, string> {
  return { authorization: `Bearer ${ctx.credentials.accessToken}` };
}

/**
 * One Graph call: `<base>/<path>` with the Bearer token, Graph error bodies mapped by code
 * (errors.ts), and the token and app secret scrubbed from whatever error comes out.
 */
export async function graphCall<S extends z.ZodType>(ctx: Ctx, path: string, schema: S, opts: CallOptions = {}): Promise<z.output<S>> {
  try {
    return await callProvider(
      ctx,
      `${graphBase(ctx)}/${path}`,
      schema,
      { ...opts, headers: { ...bearer(ctx), "user-agent": USER_AGENT, ...opts.headers } },
      refineGraphError,
    );
  } catch (err) {
    throw redactSecrets(err, [ctx.credentials.accessToken, ctx.credentials.appSecret]);
  }
}
