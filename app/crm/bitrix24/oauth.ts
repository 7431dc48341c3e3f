import { z } from "zod";
import { AppError } from "../../core/errors.js";
import { metricsOf } from "../../core/metrics.js";
import { refreshTokensUnderLease } from "../../core/token-refresh-lease.js";
import type { Db } from "../../db/index.js";
import type { AppDeps } from "../../deps.js";
import { Bitrix24Error, Bitrix24ReinstallNeededError, Bitrix24RetryableError } from "./errors.js";
import {
  assertPortalEndpoint,
  decryptPortalAuth,
  type FreshTokens,
  lockPortal,
  markNeedsReinstall,
  type PortalAuth,
  type PortalRow,
  storeFreshTokens,
} from "./portal-auth.js";

export type Bitrix24Deps = Pick<AppDeps, "db" | "keyring" | "config" | "fetch" | "clock" | "logger" | "metrics">;

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
 * Refresh tokens are single-use (reference/bitrix24.md 2.1: "serialize refresh per member_id"):
 * core/token-refresh-lease.ts makes callers share one refresh, the portal row found by member_id.
 */
export function refreshPortalTokens(deps: Bitrix24Deps, memberId: string, rejectedAccessToken: string): Promise<PortalAuth> {
  return refreshTokensUnderLease({
    db: deps.db,
    clock: deps.clock,
    flightKey: `bitrix24:${memberId}`,
    staleAccessToken: rejectedAccessToken,
    lockRow: (tx) => lockInstalledPortal(tx, memberId),
    readAuth: (row) => decryptPortalAuth(deps.keyring, row),
    refresh: (current) => requestRefresh(deps, current),
    store: (tx, row, fresh, now) => storeFreshTokens(tx, deps.keyring, row, fresh, now),
    refreshFailed: (err, failed) => refreshFailed(deps, memberId, failed.rowId, err),
    stillRefreshingElsewhere: () => new Bitrix24RetryableError("refresh_in_progress", "another instance is refreshing the portal's tokens"),
  });
}

async function lockInstalledPortal(tx: Db, memberId: string): Promise<PortalRow> {
  const row = await lockPortal(tx, memberId);
  if (!row) throw new Bitrix24ReinstallNeededError("portal_unknown", `Bitrix24 portal ${memberId} is not installed`);
  return row;
}

/** The one place a portal's refresh fails (the lease is already released); a refused refresh token only a reinstall replaces. */
async function refreshFailed(deps: Bitrix24Deps, memberId: string, portalId: string, err: unknown): Promise<void> {
  metricsOf(deps).inc("chatbridge_token_refresh_failures_total", { crm: "bitrix24" });
  if (err instanceof Bitrix24ReinstallNeededError) {
    await markNeedsReinstall(deps.db, portalId, deps.clock.now());
    deps.logger.warn("bitrix24: refresh token refused, portal needs a reinstall", { member_id: memberId, error: err.code });
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
