import { AppError } from "../../core/errors.js";
import type { Keyring } from "../../core/secrets.js";
import { timingSafeEqual } from "../../core/tokens.js";
import type { Db } from "../../db/index.js";
import { findPortal, type PortalRow, tokenContext } from "./portal-auth.js";

/** Compared against when the member is unknown, so that case costs about the same time as a mismatch. */
const DECOY = "0".repeat(32);

/**
 * Authenticates a call Bitrix24 made to us (events, robots, SMS sender): `auth[application_token]`
 * must equal the token stored for `auth[member_id]` at install (reference/bitrix24.md 1.3, 1.4).
 * Unknown member, uninstalled portal (its token was deleted) or mismatch: 401, nothing done.
 */
export async function verifyApplicationToken(db: Db, keyring: Keyring, memberId: string, token: string): Promise<PortalRow> {
  const row = memberId ? await findPortal(db, memberId) : undefined;
  const stored = row?.applicationTokenEnc ? await keyring.decrypt(row.applicationTokenEnc, tokenContext(row.externalId, "application")) : undefined;
  const equal = timingSafeEqual(stored ?? DECOY, token);
  if (!row || stored === undefined || !equal || token === "") {
    throw new AppError("unauthorized", "Unknown Bitrix24 portal or wrong application_token");
  }
  return row;
}

/**
 * ONAPPINSTALL (and the API-only install POST) brings the application_token rather than
 * presenting one we know. A portal we hold a token for must still present it; a portal we hold
 * none for (new, or uninstalled) is checked by calling it with the given tokens (install.ts).
 * [UNVERIFIED] whether a reinstall without uninstall issues a new application_token; if it
 * does, such a reinstall is refused here until ONAPPUNINSTALL clears the old one.
 */
export async function verifyInstallEventToken(db: Db, keyring: Keyring, memberId: string, token: string | undefined): Promise<void> {
  const row = await findPortal(db, memberId);
  if (row?.applicationTokenEnc) await verifyApplicationToken(db, keyring, memberId, token ?? "");
}
