import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../../core/errors.js";
import { CHANNEL_NOT_CONFIGURED } from "../../crm/amocrm/amojo/channel-config.js";
import { bindChannelToAmojo } from "../../crm/amocrm/amojo/scope.js";
import { AmoCrmError, AmoCrmReinstallNeededError, AmoCrmRetryableError } from "../../crm/amocrm/errors.js";
import { bindChannelToLine } from "../../crm/bitrix24/connector/binding.js";
import { Bitrix24Error, Bitrix24ReinstallNeededError, Bitrix24RetryableError } from "../../crm/bitrix24/errors.js";
import { type AdminEnv, adminAuth, channelOfRequest } from "./auth.js";
import { adminBodyLimit, parseBody, readBody } from "./input.js";

/** Pages send the line id as the placement gave it (a string) or as a number. */
const bindBody = z.object({ line: z.union([z.string().trim(), z.number().int().transform(String)]) });

function bitrix24Failure(err: unknown): AppError {
  if (err instanceof Bitrix24RetryableError) return new AppError("unavailable", "Bitrix24 cannot be reached right now: try again");
  if (err instanceof Bitrix24ReinstallNeededError) return new AppError("conflict", "The app has no usable access to the portal: reinstall it");
  if (err instanceof Bitrix24Error) return new AppError("conflict", `Bitrix24 refused to connect the line: ${err.code}`);
  throw err;
}

function amocrmFailure(err: unknown): AppError {
  if (err instanceof AmoCrmRetryableError) return new AppError("unavailable", "amoCRM chats cannot be reached right now: try again");
  if (err instanceof AmoCrmReinstallNeededError) return new AppError("conflict", "The integration has no usable access to the account: install it again");
  if (err instanceof AmoCrmError && err.code === CHANNEL_NOT_CONFIGURED) {
    return new AppError("unavailable", "The amoCRM chat channel is not configured on this server: ask its operator to set AMOCRM_CHAT_CHANNEL_ID and AMOCRM_CHAT_CHANNEL_SECRET");
  }
  if (err instanceof AmoCrmError && err.code === "no_amojo_id") {
    return new AppError("conflict", "The account's chat id is not known yet: install the integration again so chatbridge can read it");
  }
  if (err instanceof AmoCrmError) return new AppError("conflict", `amoCRM refused to connect the chat channel: ${err.code}`);
  throw err;
}

/**
 * POST /api/channels/:id/bind: connects the channel to where the session's CRM shows its chats.
 * Bitrix24: `{line}`, an Open Line of the portal (reference/bitrix24.md 3.1 step 3, 3.5).
 * amoCRM: no input (a `line` is ignored); the account's amojo scope is connected (idempotent,
 * reference/amocrm.md 2.3) shared by the account's channels; `line` answers the scope id.
 */
export const bindChannel = new Hono<AdminEnv>().post("/api/channels/:id/bind", adminAuth, adminBodyLimit, async (c) => {
  const channel = await channelOfRequest(c);
  if (c.var.admin.crm === "amocrm") {
    await readBody(c);
    try {
      const binding = await bindChannelToAmojo(c.var.deps, channel);
      return c.json({ ok: true as const, channel: channel.id, line: binding.lineId, active: binding.active });
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw amocrmFailure(err);
    }
  }
  const { line } = await parseBody(c, bindBody);
  try {
    const binding = await bindChannelToLine(c.var.deps, channel, line);
    return c.json({ ok: true as const, channel: channel.id, line: binding.lineId, active: binding.active });
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw bitrix24Failure(err);
  }
});
