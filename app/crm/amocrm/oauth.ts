import { metricsOf } from "../../core/metrics.js";
import { z } from "zod";
import type { Config } from "../../config.js";
import { refreshTokensUnderLease } from "../../core/token-refresh-lease.js";
import type { Db } from "../../db/index.js";
import { assertAccountBaseUrl } from "./account-host.js";
import type { AmoCrmDeps } from "./deps.js";
import { type AmoPlatform, type IntegrationKeys, integrationKeysOfAccount } from "./platform.js";
import type { AmoPortalRow } from "./portal.js";
import { AmoCrmError, AmoCrmReinstallNeededError, AmoCrmRetryableError } from "./errors.js";
import {
  type AmoAuth,
  type AmoFreshTokens,
  decryptAmoAuth,
  lockAmoPortal,
  markAmoNeedsReinstall,
  storeAmoTokens,
} from "./tokens.js";

/** reference/amocrm.md 1.4: the answer of both grants. */
const tokenAnswerSchema = z.object({
  token_type: z.string().optional(),
  expires_in: z.coerce.number().int().positive(),
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  server_time: z.number().optional(),
});
/** 6.2 pitfall 1: `{"hint":"Token has been revoked","title":…,"status":401}`; 1.4: 400 "details in body". */
const oauthProblemSchema = z.looseObject({
  hint: z.string().optional(),
  title: z.string().optional(),
  detail: z.string().optional(),
  status: z.number().optional(),
});

const OAUTH_TIMEOUT_MS = 20_000;

export type AmoGrant = { grant_type: "authorization_code"; code: string } | { grant_type: "refresh_token"; refresh_token: string };

/** 1.4: redirect_uri must equal the integration's setting; the route is `/amocrm/oauth` unless configured. */
export function amoRedirectUri(config: Pick<Config, "AMOCRM_REDIRECT_URI" | "PUBLIC_URL">): string {
  return config.AMOCRM_REDIRECT_URI ?? `${config.PUBLIC_URL}/amocrm/oauth`;
}

/** The integration keys for an account (platform.ts); none configured is `not_configured`. */
export function amoClientCredentials(config: Config, account: { platform: AmoPlatform; clientId?: string | undefined }): IntegrationKeys {
  const keys = integrationKeysOfAccount(config, account);
  if (!keys) throw new AmoCrmError("not_configured", "AMOCRM_CLIENT_ID and AMOCRM_CLIENT_SECRET (or KOMMO_* for Kommo) are needed to talk to amoCRM");
  return keys;
}

/**
 * One call to `{baseUrl}/oauth2/access_token` (1.4, JSON body). `baseUrl` must be an account
 * host (account-host.ts): client_secret goes there. 400/401 mean the code or refresh token is
 * dead (expired, spent, revoked): AmoCrmError "oauth_refused" with the status.
 */
export async function requestAmoTokens(
  deps: Pick<AmoCrmDeps, "config" | "fetch" | "clock">,
  baseUrl: string,
  keys: IntegrationKeys,
  grant: AmoGrant,
): Promise<AmoFreshTokens> {
  const { clientId, clientSecret } = keys;
  const base = assertAccountBaseUrl(baseUrl, deps.config.OUTBOUND_ALLOW_LOOPBACK).baseUrl;
  let res: Response;
  try {
    res = await deps.fetch(`${base}/oauth2/access_token`, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/json" },
      body: JSON.stringify({ client_id: clientId, client_secret: clientSecret, ...grant, redirect_uri: amoRedirectUri(deps.config) }),
      signal: AbortSignal.timeout(OAUTH_TIMEOUT_MS),
      redirect: "manual",
    });
  } catch (err) {
    throw new AmoCrmRetryableError("network", `amoCRM OAuth endpoint unreachable: ${err instanceof Error ? err.message : String(err)}`);
  }
  const body: unknown = await res.json().catch(() => undefined);
  if (res.status === 429 || res.status >= 500) {
    throw new AmoCrmRetryableError("oauth_unavailable", `amoCRM OAuth endpoint answered ${res.status}`);
  }
  if (!res.ok) {
    const problem = oauthProblemSchema.safeParse(body);
    const why = problem.success ? [problem.data.title, problem.data.hint ?? problem.data.detail].filter(Boolean).join(": ") : "";
    const code = res.status === 400 || res.status === 401 ? "oauth_refused" : "oauth_failed";
    throw new AmoCrmError(code, `amoCRM OAuth endpoint answered ${res.status}${why ? ` (${why})` : ""}`, res.status);
  }
  const answer = tokenAnswerSchema.safeParse(body);
  if (!answer.success) throw new AmoCrmError("bad_response", "amoCRM OAuth endpoint sent an answer without a token pair");
  return {
    accessToken: answer.data.access_token,
    refreshToken: answer.data.refresh_token,
    expiresAt: new Date(deps.clock.now().getTime() + answer.data.expires_in * 1000),
  };
}

/**
 * Gets the account a new pair when `staleAccessToken` was refused (401) or is about to expire.
 * Refresh tokens are single-use (1.1, 1.4 "serialize refreshes per account"; 6.2 pitfall 1):
 * core/token-refresh-lease.ts makes callers share one refresh, the row found by its id.
 */
export function refreshAmoTokens(deps: AmoCrmDeps, portalId: string, staleAccessToken: string): Promise<AmoAuth> {
  return refreshTokensUnderLease({
    db: deps.db,
    clock: deps.clock,
    flightKey: `amocrm:${portalId}`,
    staleAccessToken,
    lockRow: (tx) => lockInstalledAccount(tx, portalId),
    readAuth: (row) => decryptAmoAuth(deps.keyring, row),
    refresh: (current) => exchangeRefreshToken(deps, current),
    store: (tx, row, fresh, now) => storeAmoTokens(tx, deps.keyring, row, fresh, now),
    refreshFailed: (err, failed) => refreshFailed(deps, portalId, failed.current, err),
    stillRefreshingElsewhere: () => new AmoCrmRetryableError("refresh_in_progress", "another instance is refreshing the account's tokens"),
  });
}

async function lockInstalledAccount(tx: Db, portalId: string): Promise<AmoPortalRow> {
  const row = await lockAmoPortal(tx, portalId);
  if (!row) throw new AmoCrmReinstallNeededError("account_unknown", `amoCRM account ${portalId} is not installed`);
  return row;
}

/** The one place an account's refresh fails (the lease is already released); a refused refresh token only a reinstall replaces. */
async function refreshFailed(deps: AmoCrmDeps, portalId: string, current: AmoAuth, err: unknown): Promise<void> {
  metricsOf(deps).inc("chatbridge_token_refresh_failures_total", { crm: "amocrm" });
  if (err instanceof AmoCrmReinstallNeededError) {
    await markAmoNeedsReinstall(deps.db, portalId, deps.clock.now());
    deps.logger.warn("amocrm: refresh token refused, account needs a reinstall", { account_id: current.accountId, error: err.code });
  }
}

/** 1.4 refresh grant; a refused refresh token (spent, revoked, 3 months unused) only a reinstall replaces. */
async function exchangeRefreshToken(deps: AmoCrmDeps, current: AmoAuth): Promise<AmoFreshTokens> {
  try {
    const keys = amoClientCredentials(deps.config, current);
    return await requestAmoTokens(deps, current.baseUrl, keys, { grant_type: "refresh_token", refresh_token: current.refreshToken });
  } catch (err) {
    if (err instanceof AmoCrmError && err.code === "oauth_refused") throw new AmoCrmReinstallNeededError("token_revoked", err.message, err.status);
    throw err;
  }
}
