import { Hono } from "hono";
import { z } from "zod";
import { providerFailure } from "../../core/admin-channels.js";
import { providerContext, providerOf } from "../../core/channels.js";
import { AppError } from "../../core/errors.js";
import { normalizePhone } from "../../core/phone.js";
import { loadPortalRegion } from "../../core/portal-region.js";
import { type AdminEnv, adminAuth, channelOfRequest } from "./auth.js";
import { adminBodyLimit, parseBody } from "./input.js";

const pairingCodeBody = z.strictObject({
  /** the number to log in, as the admin types it: read in the portal's region like a test send's */
  phone: z.string().trim().min(1).max(64),
});

/**
 * POST /api/channels/:id/pairing-code `{phone}`: the code the owner types on the phone
 * (WhatsApp > Linked devices > Link a device > Link with phone number instead) for providers
 * that log in that way besides the QR; `code: null` when the channel is already logged in. The
 * code arrives a few seconds after the login round starts: until then the answer is
 * `unavailable` with a Retry-After header. A number that does not read as one is `invalid_phone`
 * on `phone`, as for a test send.
 */
export const channelPairingCode = new Hono<AdminEnv>().post("/api/channels/:id/pairing-code", adminAuth, adminBodyLimit, async (c) => {
  const channel = await channelOfRequest(c);
  const provider = providerOf(channel);
  if (!provider.pairingCode) throw new AppError("unsupported", `${provider.title} channels do not log in with a pairing code`);
  const body = await parseBody(c, pairingCodeBody);
  const phone = normalizePhone(body.phone, "phone", await loadPortalRegion(c.var.deps.db, c.var.admin.portalId));
  let answer: { code: string } | null;
  try {
    answer = await provider.pairingCode(await providerContext(c.var.deps, channel), phone);
  } catch (err) {
    throw providerFailure(err, "give a pairing code");
  }
  return c.json({ ok: true as const, code: answer?.code ?? null, connected: answer === null });
});
