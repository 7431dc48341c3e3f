import { Hono } from "hono";
import { type AdminSessionVerifier, issueAdminSession } from "../../core/admin-session.js";
import { AppError } from "../../core/errors.js";
import type { AppEnv } from "../../deps.js";
import { bitrix24SessionVerifier } from "./bitrix24-verifier.js";
import { adminBodyLimit, parseInput, readBody } from "./input.js";

/** One verifier per CRM; amoCRM's signed widget token joins this list when its frame exists. */
const VERIFIERS: readonly AdminSessionVerifier[] = [bitrix24SessionVerifier];

/**
 * POST /api/session: exchanges what the CRM frame gave the settings page for a short-lived
 * bearer token scoped to that portal. Fields may come in the body (JSON or form) or, as
 * Bitrix24 puts DOMAIN, in the query string; the body wins.
 */
export const createSession = new Hono<AppEnv>().post("/api/session", adminBodyLimit, async (c) => {
  const input = { ...c.req.query(), ...(await readBody(c)) };
  const verifier = VERIFIERS.find((v) => v.claims(input));
  if (!verifier) throw new AppError("missing_parameter", "member_id is required (the Bitrix24 frame's DOMAIN, member_id and AUTH_ID)", { field: "member_id" });
  const identity = await verifier.verify(c.var.deps, parseInput(verifier.schema, input));
  const session = await issueAdminSession(c.var.deps.db, identity, c.var.deps.clock.now());
  return c.json({
    ok: true as const,
    token: session.token,
    token_type: "Bearer" as const,
    expires_at: session.expiresAt.toISOString(),
    crm: verifier.crm,
    user_id: identity.userId,
  });
});
