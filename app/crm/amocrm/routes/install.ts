import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../../../core/errors.js";
import type { AppEnv } from "../../../deps.js";
import { issueOAuthState } from "../oauth-state.js";
import { integrationKeysFor } from "../platform.js";

/** 1.2 / 6.1: the consent page of each platform. */
const CONSENT_URLS = { amocrm: "https://www.amocrm.ru/oauth", kommo: "https://www.kommo.com/oauth" } as const;

const querySchema = z.object({
  platform: z.enum(["amocrm", "kommo"]).default("amocrm"),
  mode: z.enum(["popup", "post_message"]).optional(),
});

/**
 * GET /amocrm/install: starts a consent from our side (a link on our site or in docs). Sends
 * the browser to the platform's consent page with our client_id and a `state` only we can
 * make (oauth-state.ts); `/amocrm/oauth` requires it back unless amoCRM itself calls (1.3
 * `from_widget`).
 */
export const amoInstallRedirect = new Hono<AppEnv>().get("/amocrm/install", async (c) => {
  const deps = c.var.deps;
  const parsed = querySchema.safeParse(c.req.query());
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? "query");
    throw new AppError("invalid_parameter", `${field}: must be ${field === "platform" ? "amocrm or kommo" : "popup or post_message"}`, { field });
  }
  const keys = integrationKeysFor(deps.config, parsed.data.platform);
  if (!keys) throw new AppError("unavailable", "amoCRM is not configured on this server (AMOCRM_CLIENT_ID, AMOCRM_CLIENT_SECRET)");
  const url = new URL(CONSENT_URLS[parsed.data.platform]);
  url.searchParams.set("client_id", keys.clientId);
  url.searchParams.set("state", await issueOAuthState(deps.keyring, deps.clock.now()));
  if (parsed.data.mode) url.searchParams.set("mode", parsed.data.mode);
  c.header("cache-control", "no-store");
  return c.redirect(url.toString(), 302);
});
