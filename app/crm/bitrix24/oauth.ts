import { singleFlight } from "../../core/single-flight.js";
import { z } from "zod";
import { AppError } from "../../core/errors.js";
import { eq } from "drizzle-orm";
import { portals } from "../../db/schema.js";
import type { AppDeps } from "../../deps.js";
import { Bitrix24Error, Bitrix24ReinstallNeededError, Bitrix24RetryableError } from "./errors.js";
import {
  assertPortalEndpoint,
  decryptPortalAuth,
  type FreshTokens,
  lockPortal,
  markNeedsReinstall,
  type PortalAuth,
  storeFreshTokens,
} from "./portal-auth.js";

export type Bitrix24Deps = Pick<AppDeps, "db" | "keyring" | "config" | "fetch" | "clock" | "logger">;

/** reference/bitrix24.md 2.1: the answer of `GET /oauth/token/?grant_type=refresh_token...`. */
const refreshAnswerSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: z.coerce.number().int().positive().optional(),
  client_endpoint: z.string().optional(),
  server_endpoint: z.string().optional(),
  member_id: z.string().optional(),
  scope: z.string().optional(),
});
const oauthErrorSchema = z.object({ error: z.string(), error_description: z.string().optional() });

const ACCESS_TOKEN_LIFETIME_S = 3600;

/**
 * Gets the portal a new token pair after `rejectedAccessToken` met `expired_token`.
 * Refresh tokens are single-use (reference/bitrix24.md 2.1: "serialize refresh per member_id"),
 * so callers in this process share one promise, and instances take turns through a short lease
 * on the portal row (takeRefreshLease). Each turn re-reads the row first: if the stored access
 * token is no longer the rejected one, another caller already refreshed and its pair is used.
 */
export function refreshPortalTokens(deps: Bitrix24Deps, memberId: string, rejectedAccessToken: string): Promise<PortalAuth> {
  return singleFlight(deps.db, `bitrix24:${memberId}`, () => refreshUnderLock(deps, memberId, rejectedAccessToken));
}

/** Longer than one OAuth call may take (20 s), so a lease never ends while its holder still waits for the answer. */
const REFRESH_LEASE_MS = 30_000;
const LEASE_POLL_MS = 200;

type LeaseOutcome = { kind: "done"; auth: PortalAuth } | { kind: "wait" } | { kind: "refresh"; current: PortalAuth; portalId: string };

/**
 * Across instances, the portal row carries a short lease: whoever sets it exchanges the
 * refresh token, the others wait and re-read. Only short transactions touch the row; the call
 * to the OAuth server happens outside any, so the embedded database (one connection) is never
 * held while we wait for the network.
 */
async function takeRefreshLease(deps: Bitrix24Deps, memberId: string, rejectedAccessToken: string): Promise<LeaseOutcome> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx): Promise<LeaseOutcome> => {
    const row = await lockPortal(tx, memberId);
    if (!row) throw new Bitrix24ReinstallNeededError("portal_unknown", `Bitrix24 portal ${memberId} is not installed`);
    const current = await decryptPortalAuth(deps.keyring, row);
    if (current.accessToken !== rejectedAccessToken) return { kind: "done", auth: current };
    if (row.refreshLeaseUntil && row.refreshLeaseUntil.getTime() > now.getTime()) return { kind: "wait" };
    await tx
      .update(portals)
      .set({ refreshLeaseUntil: new Date(now.getTime() + REFRESH_LEASE_MS) })
      .where(eq(portals.id, row.id));
    return { kind: "refresh", current, portalId: row.id };
  });
}

async function refreshUnderLock(deps: Bitrix24Deps, memberId: string, rejectedAccessToken: string): Promise<PortalAuth> {
  const until = Date.now() + REFRESH_LEASE_MS;
  for (;;) {
    const lease = await takeRefreshLease(deps, memberId, rejectedAccessToken);
    if (lease.kind === "done") return lease.auth;
    if (lease.kind === "wait") {
      if (Date.now() > until) throw new Bitrix24RetryableError("refresh_in_progress", "another instance is refreshing the portal's tokens");
      await new Promise((r) => setTimeout(r, LEASE_POLL_MS));
      continue;
    }
    try {
      const fresh = await requestRefresh(deps, lease.current);
      return await deps.db.transaction(async (tx) => {
        const row = await lockPortal(tx, memberId);
        if (!row) throw new Bitrix24ReinstallNeededError("portal_unknown", `Bitrix24 portal ${memberId} is not installed`);
        return storeFreshTokens(tx, deps.keyring, row, fresh, deps.clock.now());
      });
    } catch (err) {
      await deps.db.update(portals).set({ refreshLeaseUntil: null }).where(eq(portals.id, lease.portalId));
      if (err instanceof Bitrix24ReinstallNeededError) {
        await markNeedsReinstall(deps.db, lease.portalId, deps.clock.now());
        deps.logger.warn("bitrix24: refresh token refused, portal needs a reinstall", { member_id: memberId, error: err.code });
      }
      throw err;
    }
  }
}

/** One call to the OAuth server. `client_secret` goes there and nowhere else (reference/bitrix24.md 2.1). */
async function requestRefresh(deps: Bitrix24Deps, current: PortalAuth): Promise<FreshTokens> {
  const { BITRIX24_CLIENT_ID: clientId, BITRIX24_CLIENT_SECRET: clientSecret, BITRIX24_OAUTH_URL: oauthUrl } = deps.config;
  if (!clientId || !clientSecret) {
    throw new Bitrix24Error("not_configured", "BITRIX24_CLIENT_ID and BITRIX24_CLIENT_SECRET are needed to refresh Bitrix24 tokens");
  }
  const url = new URL(`${oauthUrl}/oauth/token/`);
  url.searchParams.set("grant_type", "refresh_token");
  url.searchParams.set("client_id", clientId);
  url.searchParams.set("client_secret", clientSecret);
  url.searchParams.set("refresh_token", current.refreshToken);

  let res: Response;
  try {
    res = await deps.fetch(url.toString(), { headers: { accept: "application/json" }, signal: AbortSignal.timeout(20_000) });
  } catch (err) {
    throw new Bitrix24RetryableError("network", `Bitrix24 OAuth server unreachable: ${err instanceof Error ? err.message : String(err)}`);
  }
  const body: unknown = await res.json().catch(() => undefined);
  const failure = oauthErrorSchema.safeParse(body);
  if (failure.success) {
    const { error, error_description: description = "" } = failure.data;
    // invalid_grant: the refresh token expired or was used already; only a new install brings a new one
    if (error === "invalid_grant") throw new Bitrix24ReinstallNeededError(error, `token refresh refused: ${error} ${description}`.trim(), res.status);
    if (res.status >= 500) throw new Bitrix24RetryableError(error, `Bitrix24 OAuth server error ${res.status}: ${error}`);
    throw new Bitrix24Error(error, `token refresh refused: ${error} ${description}`.trim(), res.status);
  }
  if (!res.ok) {
    if (res.status >= 500 || res.status === 429) throw new Bitrix24RetryableError("oauth_unavailable", `Bitrix24 OAuth server answered ${res.status}`);
    throw new Bitrix24Error("oauth_failed", `Bitrix24 OAuth server answered ${res.status}`, res.status);
  }
  const answer = refreshAnswerSchema.safeParse(body);
  if (!answer.success) throw new Bitrix24Error("bad_response", "Bitrix24 OAuth server sent an answer without a token pair");
  const a = answer.data;
  if (a.member_id !== undefined && a.member_id !== current.memberId) {
    throw new Bitrix24Error("member_mismatch", "Bitrix24 OAuth server answered for another portal");
  }
  // The answer's `domain` is the OAuth server itself; the portal is named by client_endpoint (2.1).
  let clientEndpoint = current.clientEndpoint;
  if (a.client_endpoint) {
    try {
      clientEndpoint = assertPortalEndpoint(a.client_endpoint, deps.config.OUTBOUND_ALLOW_LOOPBACK);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      throw new Bitrix24Error("bad_response", `Bitrix24 OAuth server named an unusable portal endpoint: ${err.message}`);
    }
  }
  return {
    memberId: a.member_id,
    accessToken: a.access_token,
    refreshToken: a.refresh_token,
    expiresAt: new Date(deps.clock.now().getTime() + (a.expires_in ?? ACCESS_TOKEN_LIFETIME_S) * 1000),
    clientEndpoint,
    serverEndpoint: a.server_endpoint,
    scope: a.scope,
  };
}

/**
 * Proof of an install that no one but Bitrix24 can give: the install's refresh token is
 * exchanged at the OAuth server (BITRIX24_OAUTH_URL), which only works for a pair issued to our
 * application, and its answer names the portal's member_id and client_endpoint (2.1). Anyone
 * can POST an install with a host of their own that answers app.info; this check is what stops
 * them from claiming another portal's member_id. Returns the new pair, which replaces the install's.
 */
export async function confirmInstallWithOAuthServer(
  deps: Bitrix24Deps,
  grant: { memberId: string; clientEndpoint: string; accessToken: string; refreshToken: string },
): Promise<FreshTokens> {
  let fresh: FreshTokens;
  try {
    fresh = await requestRefresh(deps, {
      portalId: "",
      memberId: grant.memberId,
      domain: new URL(grant.clientEndpoint).host,
      clientEndpoint: grant.clientEndpoint,
      accessToken: grant.accessToken,
      refreshToken: grant.refreshToken,
      expiresAt: deps.clock.now(),
    });
  } catch (err) {
    if (err instanceof Bitrix24RetryableError) throw new AppError("unavailable", "The Bitrix24 OAuth server could not be reached to confirm the install");
    if (err instanceof Bitrix24Error && err.code === "not_configured") throw new AppError("unavailable", err.message);
    if (err instanceof Bitrix24Error && err.code === "member_mismatch") {
      throw new AppError("unauthorized", "The install tokens belong to another Bitrix24 portal");
    }
    throw new AppError("unauthorized", "The Bitrix24 OAuth server did not confirm the install tokens");
  }
  if (fresh.memberId !== grant.memberId || new URL(fresh.clientEndpoint).host !== new URL(grant.clientEndpoint).host) {
    throw new AppError("unauthorized", "The install tokens belong to another Bitrix24 portal");
  }
  return fresh;
}
