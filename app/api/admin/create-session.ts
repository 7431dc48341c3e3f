import { Hono } from "hono";
import { type AdminSessionVerifier, issueAdminSession } from "../../core/admin-session.js";
import { AppError } from "../../core/errors.js";
import type { AppEnv } from "../../deps.js";
import { amocrmSessionVerifier } from "./amocrm-verifier.js";
import { bitrix24SessionVerifier } from "./bitrix24-verifier.js";
import { adminBodyLimit, parseInput, readBody } from "./input.js";

/** One verifier per CRM: Bitrix24's frame fields, amoCRM's signed widget token. */
const VERIFIERS: readonly AdminSessionVerifier[] = [bitrix24SessionVerifier, amocrmSessionVerifier];

/**
 * POST /api/session: exchanges what the CRM frame gave the settings page for a short-lived
 * bearer token scoped to that portal. Fields may come in the body (JSON or form) or, as
 * Bitrix24 puts DOMAIN, in the query string; the body wins. amoCRM's widget sends its token
 * as the `X-Auth-Token` header (`$authorizedAjax`, reference/amocrm.md 4.3): it counts as
 * `amocrm_token` unless the body names one.
 */
export const createSession = new Hono<AppEnv>().post("/api/session", adminBodyLimit, async (c) => {
  const authToken = c.req.header("x-auth-token");
  // the query string is read for Bitrix24's DOMAIN only: a token there would end up in access logs
  const { amocrm_token: _inQuery, ...query } = c.req.query();
  const input = { ...(authToken ? { amocrm_token: authToken } : {}), ...query, ...(await readBody(c)) };
  const verifier = VERIFIERS.find((v) => v.claims(input));
  if (!verifier) {
    throw new AppError(
      "missing_parameter",
      "member_id (Bitrix24: the frame's DOMAIN, member_id and AUTH_ID) or amocrm_token (amoCRM: the widget's X-Auth-Token) is required",
      { field: "member_id" },
    );
  }
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
