import { eq } from "drizzle-orm";
import { retirePortalChannels } from "../../core/channels.js";
import { bytesToHex, utf8 } from "../../core/encoding.js";
import { timingSafeEqual } from "../../core/tokens.js";
import { adminSessions, portals } from "../../db/schema.js";
import type { AmoCrmDeps } from "./deps.js";
import { findAmoAccount } from "./portal.js";

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
export async function verifyDisconnectHook(config: { AMOCRM_CLIENT_ID?: string | undefined; AMOCRM_CLIENT_SECRET?: string | undefined }, hook: DisconnectHook): Promise<boolean> {
  const { AMOCRM_CLIENT_ID: clientId, AMOCRM_CLIENT_SECRET: clientSecret } = config;
  if (!clientId || !clientSecret) return false;
  const expected = await disconnectSignature(clientSecret, hook.client_uuid, hook.account_id);
  const signatureOk = timingSafeEqual(expected, hook.signature.toLowerCase());
  return timingSafeEqual(hook.client_uuid, clientId) && signatureOk;
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
  const now = deps.clock.now();
  const already = row.status === "uninstalled" && row.accessTokenEnc === null && row.refreshTokenEnc === null;
  const retired = await deps.db.transaction(async (tx) => {
    if (!already) {
      await tx
        .update(portals)
        .set({
          status: "uninstalled",
          accessTokenEnc: null,
          refreshTokenEnc: null,
          tokenExpiresAt: null,
          refreshLeaseUntil: null,
          uninstalledAt: now,
          updatedAt: now,
        })
        .where(eq(portals.id, row.id));
    }
    await tx.delete(adminSessions).where(eq(adminSessions.portalId, row.id));
    return retirePortalChannels(tx, row.id, now, false);
  });
  deps.logger.info("amocrm: account disconnected", { account_id: accountId, domain: row.domain, channels: retired });
  return true;
}
