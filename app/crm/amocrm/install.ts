import { sql } from "drizzle-orm";
import { z } from "zod";
import { AppError } from "../../core/errors.js";
import { amocrmInstallRegion } from "../../core/portal-region.js";
import { enqueueJob } from "../../core/outbox/enqueue.js";
import { generateToken } from "../../core/tokens.js";
import { portals } from "../../db/schema.js";
import type { AppDeps } from "../../deps.js";
import { type AccountHost, parseAccountHost } from "./account-host.js";
import { AMOJO_RECONNECT_JOB } from "./amojo/jobs.js";
import type { AmoCrmDeps } from "./deps.js";
import { AmoCrmError, AmoCrmRetryableError } from "./errors.js";
import { requestAmoTokens } from "./oauth.js";
import { type IntegrationKeys, integrationKeysFor, platformOfCode } from "./platform.js";
import { type AmoPortalRow, type AmoPortalSettings, amocrmTokenContext, findAmoAccount } from "./portal.js";
import { type AmoFreshTokens, encryptAmoTokens } from "./tokens.js";

/** What the OAuth redirect hands us (1.3), already authenticated by the route. */
export interface AmoInstallGrant {
  code: string;
  referer: string;
  /** 1.3 `platform`: "1" amocrm.ru, "2" kommo.com; only used for loopback hosts, where the name says nothing */
  platform?: string | undefined;
}

/** 5.1 `GET /api/v4/account?with=amojo_id`: only what we keep. */
const accountSchema = z.looseObject({
  id: z.number().int().positive(),
  subdomain: z.string().regex(/^[a-z0-9-]{1,63}$/i),
  amojo_id: z.string().min(1).max(100),
  name: z.string().optional(),
  /** the account settings' country (ISO code in the docs' example); anything else is dropped, not a failed install */
  country: z.string().nullish().catch(undefined),
});
type AccountInfo = z.output<typeof accountSchema>;

/**
 * Installs (or reinstalls) an account from the OAuth redirect: the code is exchanged at the
 * account named by `referer` (1.4; only amoCRM/Kommo hosts, so client_secret never goes to a
 * host the caller picked), the new token reads the account (5.1), and the account row is
 * written or updated by its numeric id: one row per account, back to active on reinstall,
 * tokens encrypted, the DP secret made once. The amojo re-connect job is written in the same
 * transaction (6.2 pitfall 6).
 */
export async function installAmoAccount(
  deps: AmoCrmDeps & Partial<Pick<AppDeps, "queue">>,
  grant: AmoInstallGrant,
): Promise<{ row: AmoPortalRow; reinstall: boolean }> {
  const referred = parseAccountHost(grant.referer, deps.config.OUTBOUND_ALLOW_LOOPBACK);
  if (!referred) throw new AppError("invalid_parameter", "referer: not an amoCRM or Kommo account host", { field: "referer" });
  // 1.3: a loopback fake's host says nothing about its platform; the redirect's `platform` does
  const platformCode = referred.subdomain === undefined && (grant.platform === "1" || grant.platform === "2") ? grant.platform : referred.platform;
  const platform = platformOfCode(platformCode, referred.host);
  const keys = integrationKeysFor(deps.config, platform);
  if (!keys) throw new AppError("unavailable", "amoCRM is not configured on this server (AMOCRM_CLIENT_ID, AMOCRM_CLIENT_SECRET)");
  const tokens = await exchangeCode(deps, referred.baseUrl, keys, grant.code);
  const account = await readAccount(deps, referred.baseUrl, tokens.accessToken);
  const host = movedHost(referred, account, deps.config.OUTBOUND_ALLOW_LOOPBACK);
  const accountId = String(account.id);
  const existing = await findAmoAccount(deps.db, accountId);

  const now = deps.clock.now();
  const settings: AmoPortalSettings = {
    baseUrl: host.baseUrl,
    amojoId: account.amojo_id,
    platform: platformCode,
    clientId: keys.clientId,
    subdomain: host.subdomain ?? account.subdomain,
    dpSecretEnc: await deps.keyring.encrypt(generateToken(), amocrmTokenContext(accountId, "dp_secret")),
  };
  // a reinstall keeps the region the admin may have chosen since
  const region = amocrmInstallRegion(platform, account.country);
  if (region && !(existing && "region" in existing.settings)) settings.region = region;
  const fields = {
    domain: host.host,
    ...(await encryptAmoTokens(deps.keyring, accountId, tokens)),
    status: "active" as const,
    refreshLeaseUntil: null,
    uninstalledAt: null,
    updatedAt: now,
  };
  const { row, jobId } = await deps.db.transaction(async (tx) => {
    const [stored] = await tx
      .insert(portals)
      .values({ crm: "amocrm", externalId: accountId, ...fields, settings })
      .onConflictDoUpdate({
        target: [portals.crm, portals.externalId],
        set: {
          ...fields,
          // the DP secret is made once: widgets already carry it in their DP action settings
          settings: sql`${portals.settings} || excluded.settings || jsonb_build_object('dpSecretEnc', coalesce(${portals.settings}->'dpSecretEnc', excluded.settings->'dpSecretEnc'))`,
        },
      })
      .returning();
    const job = await enqueueJob(
      tx,
      // 1.5 / 6.2 pitfall 6: disabling the integration disconnected the chat channel; amojo/jobs.ts connects it again
      { kind: AMOJO_RECONNECT_JOB, payload: { portalId: stored!.id }, dedupKey: `${AMOJO_RECONNECT_JOB}:${stored!.id}:${now.getTime()}`, maxAttempts: deps.config.OUTBOX_MAX_ATTEMPTS },
      now,
    );
    return { row: stored!, jobId: job.job.id };
  });
  await deps.queue?.wake([jobId]);
  deps.logger.info("amocrm: account installed", { account_id: accountId, domain: host.host, reinstall: existing !== undefined });
  return { row, reinstall: existing !== undefined };
}

async function exchangeCode(deps: AmoCrmDeps, baseUrl: string, keys: IntegrationKeys, code: string): Promise<AmoFreshTokens> {
  try {
    return await requestAmoTokens(deps, baseUrl, keys, { grant_type: "authorization_code", code });
  } catch (err) {
    if (err instanceof AmoCrmRetryableError) throw new AppError("unavailable", "The amoCRM account could not be reached to finish the install: try again");
    if (err instanceof AmoCrmError && err.code === "not_configured") throw new AppError("unavailable", err.message);
    if (err instanceof AmoCrmError && err.code === "oauth_refused") {
      throw new AppError("unauthorized", "amoCRM did not accept the authorization code (expired or already used): install again");
    }
    if (err instanceof AmoCrmError) throw new AppError("unavailable", `amoCRM did not finish the install: ${err.message}`);
    throw err;
  }
}

/** 5.1 with the new token; a plain call (the account has no row yet to hang a client on). */
async function readAccount(deps: AmoCrmDeps, baseUrl: string, accessToken: string): Promise<AccountInfo> {
  let res: Response;
  try {
    res = await deps.fetch(`${baseUrl}/api/v4/account?with=amojo_id`, {
      headers: { accept: "application/json", authorization: `Bearer ${accessToken}` },
      signal: AbortSignal.timeout(20_000),
      redirect: "manual",
    });
  } catch {
    throw new AppError("unavailable", "The amoCRM account could not be reached to finish the install: try again");
  }
  const body: unknown = await res.json().catch(() => undefined);
  if (res.status >= 500 || res.status === 429) throw new AppError("unavailable", `amoCRM answered ${res.status} while reading the account: try again`);
  const parsed = accountSchema.safeParse(body);
  if (!res.ok || !parsed.success) throw new AppError("unavailable", `amoCRM did not describe the account (${res.status})`);
  return parsed.data;
}

/**
 * 6.1: a renamed account answers with its new subdomain; store what the account says, on the
 * same platform domain as the referer (loopback fakes keep their host).
 */
function movedHost(referred: AccountHost, account: AccountInfo, allowLoopback: boolean): AccountHost {
  if (referred.subdomain === undefined || referred.subdomain === account.subdomain.toLowerCase()) return referred;
  const domain = referred.host.slice(referred.subdomain.length + 1);
  return parseAccountHost(`${account.subdomain.toLowerCase()}.${domain}`, allowLoopback) ?? referred;
}
