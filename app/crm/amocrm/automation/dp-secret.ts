import { and, eq, sql } from "drizzle-orm";
import { generateToken } from "../../../core/tokens.js";
import { portals } from "../../../db/schema.js";
import type { AmoCrmDeps } from "../deps.js";
import { type AmoPortalRow, amocrmTokenContext, amoSettingsOf, findAmoPortalById } from "../portal.js";
import { mergeSettings } from "../tokens.js";

/**
 * The Digital Pipeline secret of an account (portal settings `dpSecretEnc`). amoCRM signs
 * nothing on the widget DP hook (reference/amocrm.md 4.1, unverified), so the widget puts this
 * secret into a hidden field of the DP action's settings and amoCRM sends it back in
 * `action.settings.widget.settings.secret` on every call.
 */
export async function readDpSecret(deps: Pick<AmoCrmDeps, "keyring">, portal: AmoPortalRow): Promise<string | undefined> {
  const enc = amoSettingsOf(portal).dpSecretEnc;
  if (!enc) return undefined;
  return deps.keyring.decrypt(enc, amocrmTokenContext(portal.externalId, "dp_secret"));
}

/**
 * The account's DP secret, made now when the install did not make one (an account installed
 * before DP existed). Written only where none is stored, so two settings pages opened at once
 * both end up with the one that won.
 */
export async function ensureDpSecret(deps: Pick<AmoCrmDeps, "db" | "keyring" | "clock">, portal: AmoPortalRow): Promise<string> {
  const existing = await readDpSecret(deps, portal);
  if (existing) return existing;
  const enc = await deps.keyring.encrypt(generateToken(), amocrmTokenContext(portal.externalId, "dp_secret"));
  await deps.db
    .update(portals)
    .set({ settings: mergeSettings({ dpSecretEnc: enc }), updatedAt: deps.clock.now() })
    .where(and(eq(portals.id, portal.id), sql`${portals.settings}->>'dpSecretEnc' is null`));
  const fresh = await findAmoPortalById(deps.db, portal.id);
  const secret = fresh ? await readDpSecret(deps, fresh) : undefined;
  if (!secret) throw new Error(`amocrm: the DP secret of account ${portal.externalId} could not be stored`);
  return secret;
}
