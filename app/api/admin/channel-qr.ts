import { Hono } from "hono";
import { providerFailure } from "../../core/admin-channels.js";
import { providerContext, providerOf } from "../../core/channels.js";
import { AppError } from "../../core/errors.js";
import { type AdminEnv, adminAuth, channelOfRequest } from "./auth.js";

/**
 * GET /api/channels/:id/qr: the login QR code for providers that log in by scanning one;
 * `qr: null` when the channel is already logged in.
 */
export const channelQr = new Hono<AdminEnv>().get("/api/channels/:id/qr", adminAuth, async (c) => {
  const channel = await channelOfRequest(c);
  const provider = providerOf(channel);
  if (!provider.qr) throw new AppError("unsupported", `${provider.title} channels do not log in with a QR code`);
  let qr: { dataUrl: string } | null;
  try {
    qr = await provider.qr(await providerContext(c.var.deps, channel));
  } catch (err) {
    throw providerFailure(err, "produce a QR code");
  }
  return c.json({ ok: true as const, qr: qr?.dataUrl ?? null, connected: qr === null });
});
