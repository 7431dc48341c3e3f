import { z } from "zod";
import type { Keyring } from "../../core/secrets.js";
import { generateToken } from "../../core/tokens.js";

/** How long a consent started at `/amocrm/install` may take (the code itself lives 20 min, 1.1). */
export const OAUTH_STATE_TTL_MS = 30 * 60_000;
/** AAD of the state: a ciphertext made for any other purpose (tokens, credentials) does not open as a state. */
const STATE_CONTEXT = "amocrm:oauth_state";
const payloadSchema = z.object({ p: z.literal("amocrm-oauth"), exp: z.number().int(), n: z.string().min(16) });

/**
 * The `state` of the consent URL (reference/amocrm.md 1.2/1.3): stateless, so no table and no
 * session. It is the keyring's authenticated encryption (AES-GCM under ENCRYPTION_KEY, bound to
 * its own context) of an expiry and a nonce: only this deployment can make one, any key of the
 * keyring opens it (rotation keeps pending consents working), and it stops working at its expiry.
 */
export async function issueOAuthState(keyring: Keyring, now: Date): Promise<string> {
  const exp = Math.floor((now.getTime() + OAUTH_STATE_TTL_MS) / 1000);
  return keyring.encrypt(JSON.stringify({ p: "amocrm-oauth", exp, n: generateToken(16) }), STATE_CONTEXT);
}

/** True when `state` was issued here and has not expired. */
export async function verifyOAuthState(keyring: Keyring, state: string, now: Date): Promise<boolean> {
  if (state.length > 1024) return false;
  let text: string;
  try {
    text = await keyring.decrypt(state, STATE_CONTEXT);
  } catch {
    return false;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return false;
  }
  const payload = payloadSchema.safeParse(json);
  return payload.success && payload.data.exp * 1000 > now.getTime();
}
