import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../../core/errors.js";
import { bindChannelToLine } from "../../crm/bitrix24/connector/binding.js";
import { Bitrix24Error, Bitrix24ReinstallNeededError, Bitrix24RetryableError } from "../../crm/bitrix24/errors.js";
import { type AdminEnv, adminAuth, channelOfRequest } from "./auth.js";
import { adminBodyLimit, parseBody } from "./input.js";

/** Pages send the line id as the placement gave it (a string) or as a number. */
const bindBody = z.object({ line: z.union([z.string().trim(), z.number().int().transform(String)]) });

function bitrix24Failure(err: unknown): AppError {
  if (err instanceof Bitrix24RetryableError) return new AppError("unavailable", "Bitrix24 cannot be reached right now: try again");
  if (err instanceof Bitrix24ReinstallNeededError) return new AppError("conflict", "The app has no usable access to the portal: reinstall it");
  if (err instanceof Bitrix24Error) return new AppError("conflict", `Bitrix24 refused to connect the line: ${err.code}`);
  throw err;
}

/**
 * POST /api/channels/:id/bind `{line}`: connects the channel to an Open Line of the session's
 * portal (reference/bitrix24.md 3.1 step 3, 3.5). amoCRM's amojo connect arrives with its own
 * settings page; an amoCRM session gets `unsupported` here until then.
 */
export const bindChannel = new Hono<AdminEnv>().post("/api/channels/:id/bind", adminAuth, adminBodyLimit, async (c) => {
  const channel = await channelOfRequest(c);
  const { line } = await parseBody(c, bindBody);
  if (c.var.admin.crm !== "bitrix24") throw new AppError("unsupported", "Binding to an Open Line needs a Bitrix24 portal");
  try {
    const binding = await bindChannelToLine(c.var.deps, channel, line);
    return c.json({ ok: true as const, channel: channel.id, line: binding.lineId, active: binding.active });
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw bitrix24Failure(err);
  }
});
