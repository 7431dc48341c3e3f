import { z } from "zod";
import type { AdminIdentity, AdminSessionVerifier } from "../../core/admin-session.js";
import { AppError } from "../../core/errors.js";
import { hitRateLimit } from "../../core/rate-limit.js";
import { AmoCrmClient } from "../../crm/amocrm/client.js";
import { AmoCrmError, AmoCrmReinstallNeededError, AmoCrmRetryableError } from "../../crm/amocrm/errors.js";
import { verifyWidgetToken } from "../../crm/amocrm/jwt.js";
import type { AppDeps } from "../../deps.js";

/**
 * What the widget sends: its disposable token (reference/amocrm.md 4.3), as the `X-Auth-Token`
 * header `$authorizedAjax` adds (create-session.ts passes it in under this name) or in the body.
 */
const widgetSchema = z.object({
  amocrm_token: z.string().trim().min(16, { error: "must be the widget's X-Auth-Token" }).max(4096),
});

/** `GET /api/v4/users/{id}`: only the rights matter here. */
const userSchema = z.looseObject({
  id: z.number().int().optional(),
  rights: z.looseObject({ is_admin: z.boolean().optional() }).optional(),
});

/**
 * Each session request costs one call to the account: a loop of requests must not spend its REST
 * budget (5.7). Counted per user: the widget asks for a session on every card page of every user
 * (non-admins are refused), and those must not use up an administrator's turns.
 */
const SESSION_LIMIT = { limit: 10, windowMs: 60_000 };

async function askUser(deps: AppDeps, portalId: string, userId: string): Promise<z.output<typeof userSchema> | null> {
  try {
    return await new AmoCrmClient(deps, portalId).request("GET", `/api/v4/users/${userId}`, undefined, userSchema);
  } catch (err) {
    if (err instanceof AmoCrmRetryableError) throw new AppError("unavailable", "amoCRM cannot be reached right now: try again");
    if (err instanceof AmoCrmReinstallNeededError) throw new AppError("conflict", "The integration has no usable access to the account: install it again");
    // 404: the token's user is not a user of the account (deleted since); 403: our grant cannot read users
    if (err instanceof AmoCrmError && (err.status === 404 || err.status === 403)) return null;
    if (err instanceof AmoCrmError) throw new AppError("unavailable", `amoCRM did not answer as expected: ${err.code}`);
    throw err;
  }
}

/**
 * amoCRM widgets (reference/amocrm.md 4.3): the widget's disposable JWT is verified locally
 * (signature with our client_secret, audience, lifetime, our client_uuid, an installed account
 * whose host issued it), then the user it names is asked for through the account's REST API
 * with our stored token, never one the request brings: only an account admin
 * (`rights.is_admin`) gets a session.
 */
export const amocrmSessionVerifier: AdminSessionVerifier<typeof widgetSchema> = {
  crm: "amocrm",
  claims: (body) => body.amocrm_token !== undefined,
  schema: widgetSchema,
  async verify(deps, input): Promise<AdminIdentity> {
    const token = await verifyWidgetToken(deps, input.amocrm_token);
    const limit = await hitRateLimit(deps.db, `admin-session:amocrm:${token.accountId}:${token.userId}`, SESSION_LIMIT, deps.clock.now());
    if (!limit.allowed) throw new AppError("rate_limited", "Too many session requests for this user", { retryAfterMs: limit.retryAfterMs });
    const user = await askUser(deps, token.portal.id, token.userId);
    if (user?.rights?.is_admin !== true) throw new AppError("forbidden", "Only amoCRM account administrators can change the connector settings");
    return { portalId: token.portal.id, userId: token.userId };
  },
};
