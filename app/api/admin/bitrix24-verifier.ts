import { z } from "zod";
import type { AdminIdentity, AdminSessionVerifier } from "../../core/admin-session.js";
import { AppError } from "../../core/errors.js";
import { hitRateLimit } from "../../core/rate-limit.js";
import { sendRestCall } from "../../crm/bitrix24/client.js";
import { Bitrix24RetryableError } from "../../crm/bitrix24/errors.js";
import { assertPortalEndpoint, clientEndpointOf, findPortal } from "../../crm/bitrix24/portal-auth.js";
import type { AppDeps } from "../../deps.js";

/** What the Bitrix24 frame POST gives the settings page (reference/bitrix24.md 1.2). */
const frameSchema = z.object({
  DOMAIN: z.string().trim().min(1).max(253),
  member_id: z.string().trim().regex(/^[A-Za-z0-9]{1,64}$/, { error: "must be a Bitrix24 member_id" }),
  AUTH_ID: z.string().trim().regex(/^[A-Za-z0-9._-]{8,256}$/, { error: "must be the frame's AUTH_ID" }),
});

/** `profile` (the calling user): ADMIN is true for portal administrators. */
const profileSchema = z.looseObject({ ID: z.coerce.string().min(1), ADMIN: z.boolean().optional() });

/** Each session request costs one call to the portal: a loop of bad requests must not flood it. */
const SESSION_LIMIT = { limit: 20, windowMs: 60_000 };

const refused = () => new AppError("unauthorized", "Bitrix24 did not confirm this user: open the settings page from the portal again");

async function askProfile(deps: AppDeps, endpoint: string, authId: string): Promise<z.output<typeof profileSchema>> {
  let answer: Awaited<ReturnType<typeof sendRestCall>>;
  try {
    answer = await sendRestCall(deps.fetch, `${endpoint}profile.json`, { auth: authId }, 10_000);
  } catch (err) {
    if (err instanceof Bitrix24RetryableError) throw new AppError("unavailable", "The Bitrix24 portal cannot be reached right now: try again");
    throw err;
  }
  if (!answer.ok) {
    if (answer.status >= 500) throw new AppError("unavailable", "The Bitrix24 portal cannot answer right now: try again");
    throw refused();
  }
  const profile = profileSchema.safeParse(answer.result);
  if (!profile.success) throw refused();
  return profile.data;
}

/**
 * Bitrix24 settings frames (reference/bitrix24.md 1.2, 8): the page holds the opening user's
 * AUTH_ID. It is checked by calling `profile` as that user on the portal we installed on, at
 * the endpoint we stored, never one named by the request: a forged DOMAIN cannot point the
 * check at a server that says yes, and an AUTH_ID of another portal is refused by this one.
 */
export const bitrix24SessionVerifier: AdminSessionVerifier<typeof frameSchema> = {
  crm: "bitrix24",
  claims: (body) => body.member_id !== undefined || body.AUTH_ID !== undefined,
  schema: frameSchema,
  async verify(deps, input): Promise<AdminIdentity> {
    const limit = await hitRateLimit(deps.db, `admin-session:bitrix24:${input.member_id}`, SESSION_LIMIT, deps.clock.now());
    if (!limit.allowed) throw new AppError("rate_limited", "Too many session requests for this portal", { retryAfterMs: limit.retryAfterMs });
    const portal = await findPortal(deps.db, input.member_id);
    if (!portal || portal.status !== "active") throw refused();
    if (portal.domain.toLowerCase() !== input.DOMAIN.toLowerCase()) throw refused();
    let endpoint: string;
    try {
      endpoint = assertPortalEndpoint(clientEndpointOf(portal), deps.config.OUTBOUND_ALLOW_LOOPBACK);
    } catch {
      throw new AppError("unavailable", "The portal's stored address is unusable: reinstall the app");
    }
    const profile = await askProfile(deps, endpoint, input.AUTH_ID);
    if (profile.ADMIN !== true) throw new AppError("forbidden", "Only Bitrix24 administrators can change the connector settings");
    return { portalId: portal.id, userId: profile.ID };
  },
};
