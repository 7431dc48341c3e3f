import { z } from "zod";
import type { Config } from "../../config.js";
import { retirePortal } from "../../core/channels.js";
import { bytesToHex, utf8 } from "../../core/encoding.js";
import { timingSafeEqual } from "../../core/tokens.js";
import { enqueueJob } from "../../core/outbox/enqueue.js";
import type { JobRegistry } from "../../core/outbox/registry.js";
import { hitRateLimit } from "../../core/rate-limit.js";
import { AmoCrmClient } from "./client.js";
import type { AmoCrmDeps } from "./deps.js";
import { AmoCrmReinstallNeededError, AmoCrmRetryableError } from "./errors.js";
import { allIntegrationKeys } from "./platform.js";
import { type AmoPortalRow, findAmoAccount } from "./portal.js";

/** Looks again this much later when the account still answered at hook time (the hook may precede the revocation). */
export const DISCONNECT_RECHECK_JOB = "amocrm.disconnect_recheck";
const RECHECK_DELAY_MS = 2 * 60_000;
/** amoCRM sends one hook per disconnect; more than a few a minute for one account are replays. */
const DISCONNECT_HOOK_LIMIT = { limit: 3, windowMs: 60_000 };

export type AccessCheck = "revoked" | "live" | "unknown" | "unusable";

/**
 * Whether the integration's access to the account is really gone. The disconnect hook's
 * signature covers only `client_uuid|account_id` (1.5): it never changes, so a URL seen once in
 * a log could be replayed to destroy the account's channels at any time. What cannot be replayed
 * is amoCRM's own answer: with access revoked the account refuses our tokens (1.4 "revoked →
 * 401", and the refresh fails). "unknown" when amoCRM cannot be asked right now; "unusable"
 * when our own tokens died earlier (needs_reinstall): amoCRM cannot tell us anything then, and
 * a replayed hook must not retire the channels of an account that only needs a reinstall.
 */
export async function checkAccountAccess(deps: AmoCrmDeps, row: AmoPortalRow): Promise<AccessCheck> {
  if (row.status === "uninstalled") return "revoked";
  if (row.status !== "active" || row.accessTokenEnc === null) return "unusable";
  try {
    await new AmoCrmClient(deps, row.id).request("GET", "/api/v4/account", undefined, z.looseObject({ id: z.unknown() }));
    return "live";
  } catch (err) {
    if (err instanceof AmoCrmReinstallNeededError) return "revoked";
    deps.logger.warn("amocrm: could not confirm a disconnect with the account", { account_id: row.externalId, error: err instanceof Error ? err.message : String(err) });
    return "unknown";
  }
}

export interface DisconnectHook {
  account_id: string;
  client_uuid: string;
  signature: string;
}

/** reference/amocrm.md 1.5: `hex(HMAC-SHA256(key = client_secret, msg = client_uuid + "|" + account_id))`. */
export async function disconnectSignature(clientSecret: string, clientUuid: string, accountId: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", utf8.encode(clientSecret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return bytesToHex(new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8.encode(`${clientUuid}|${accountId}`))));
}

/**
 * True when the hook was signed with our client_secret for our own integration (1.5: "compare
 * with a constant-time compare and also check client_uuid == your client_id"). Without
 * configured credentials nothing verifies.
 */
export async function verifyDisconnectHook(config: Config, hook: DisconnectHook): Promise<boolean> {
  // each configured integration (amoCRM, and Kommo when registered separately) signs its own hooks
  for (const { clientId, clientSecret } of allIntegrationKeys(config)) {
    const expected = await disconnectSignature(clientSecret, hook.client_uuid, hook.account_id);
    const signatureOk = timingSafeEqual(expected, hook.signature.toLowerCase());
    if (timingSafeEqual(hook.client_uuid, clientId) && signatureOk) return true;
  }
  return false;
}

/**
 * The integration was switched off on the account (1.5): API access is gone, so the tokens are
 * wiped and calls stop (status "uninstalled"); the account's channels are retired as a
 * Bitrix24 uninstall retires them (webhook tokens revoked, queued messages failed, bindings
 * off) and its admin sessions end. The row and the message history stay. Repeating it changes
 * nothing more. Returns whether such an account was known.
 */
export async function disconnectAmoAccount(deps: Pick<AmoCrmDeps, "db" | "clock" | "logger">, accountId: string): Promise<boolean> {
  const row = await findAmoAccount(deps.db, accountId);
  if (!row) {
    deps.logger.info("amocrm: disconnect hook for an account never installed here", { account_id: accountId });
    return false;
  }
  const retired = await retirePortal(deps.db, row.id, deps.clock.now(), false);
  deps.logger.info("amocrm: account disconnected", { account_id: accountId, domain: row.domain, channels: retired });
  return true;
}

export type DisconnectOutcome = "disconnected" | "unknown_account" | "still_installed" | "unconfirmed";

/** One later look per account and interval, however many hooks came in it. */
async function scheduleRecheck(deps: AmoCrmDeps, accountId: string, now: Date): Promise<void> {
  await enqueueJob(
    deps.db,
    {
      kind: DISCONNECT_RECHECK_JOB,
      payload: { accountId },
      dedupKey: `${DISCONNECT_RECHECK_JOB}:${accountId}:${Math.floor(now.getTime() / RECHECK_DELAY_MS)}`,
      maxAttempts: deps.config.OUTBOX_MAX_ATTEMPTS,
      runAt: new Date(now.getTime() + RECHECK_DELAY_MS),
    },
    now,
  );
}

/**
 * A verified disconnect hook: acted on only once amoCRM confirms the access is gone
 * (checkAccountAccess). An account that still answers is looked at again a little later by a
 * job (the hook may arrive just before the revocation takes effect), so a real disconnect still
 * lands and a replayed one never does.
 */
export async function handleDisconnectHook(deps: AmoCrmDeps, accountId: string): Promise<DisconnectOutcome> {
  const row = await findAmoAccount(deps.db, accountId);
  if (!row) {
    deps.logger.info("amocrm: disconnect hook for an account never installed here", { account_id: accountId });
    return "unknown_account";
  }
  const now = deps.clock.now();
  // every hook costs a call to the account: a replayed URL must not spend its REST budget
  const turn = await hitRateLimit(deps.db, `amocrm-disconnect:${accountId}`, DISCONNECT_HOOK_LIMIT, now);
  if (!turn.allowed) {
    // not probed now, but a real disconnect hidden among replays is still looked at (one job per interval)
    await scheduleRecheck(deps, accountId, now);
    return "unconfirmed";
  }
  const access = await checkAccountAccess(deps, row);
  if (access === "revoked") {
    await disconnectAmoAccount(deps, accountId);
    return "disconnected";
  }
  if (access === "unusable") {
    deps.logger.warn("amocrm: disconnect hook for an account whose tokens are already dead: left as it is (reinstall or remove its channels)", { account_id: accountId });
    return "unconfirmed";
  }
  await scheduleRecheck(deps, accountId, now);
  deps.logger.warn("amocrm: disconnect hook while the account still grants access: checked again later", { account_id: accountId, access });
  return access === "live" ? "still_installed" : "unconfirmed";
}

/** The later look of handleDisconnectHook: disconnects if access is gone by now, else leaves the account as it is. */
export function registerDisconnectRecheckJob(registry: JobRegistry, deps: AmoCrmDeps): void {
  registry.register(DISCONNECT_RECHECK_JOB, {
    schema: z.object({ accountId: z.string().regex(/^\d{1,20}$/) }),
    async handle({ accountId }) {
      const row = await findAmoAccount(deps.db, accountId);
      if (!row) return;
      const access = await checkAccountAccess(deps, row);
      if (access === "revoked") await disconnectAmoAccount(deps, accountId);
      // amoCRM could not be asked: try again later rather than lose a real disconnect
      else if (access === "unknown") throw new AmoCrmRetryableError("unconfirmed", `amoCRM account ${accountId} could not be asked whether access is revoked`, RECHECK_DELAY_MS);
      else deps.logger.info("amocrm: account still grants access after a disconnect hook: left installed", { account_id: accountId, access });
    },
  });
}
