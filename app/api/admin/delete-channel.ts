import { Hono } from "hono";
import { scheduleAutomationRefresh } from "../../core/admin-channels.js";
import { retireChannel } from "../../core/channels.js";
import { AppError } from "../../core/errors.js";
import { scheduleScopeCheck } from "../../crm/amocrm/amojo/jobs.js";
import { unbindChannel } from "../../crm/bitrix24/connector/binding.js";
import { Bitrix24Error, Bitrix24RetryableError } from "../../crm/bitrix24/errors.js";
import { type AdminEnv, adminAuth, channelOfRequest } from "./auth.js";

/**
 * DELETE /api/channels/:id: the Open Line is told the connector is off (so operators do not
 * wait on a dead line), then the channel is retired: credentials wiped, tokens revoked,
 * queued messages failed; history stays. A portal that cannot be reached does not block the
 * delete: the answer carries a warning instead.
 */
export const deleteChannel = new Hono<AdminEnv>().delete("/api/channels/:id", adminAuth, async (c) => {
  const channel = await channelOfRequest(c);
  let warning: string | undefined;
  if (c.var.admin.crm === "bitrix24") {
    try {
      await unbindChannel(c.var.deps, channel);
    } catch (err) {
      if (!(err instanceof Bitrix24Error || err instanceof Bitrix24RetryableError)) throw err;
      warning = `The Open Line could not be switched off (${err.message}): disconnect it in the Contact Center`;
    }
  }
  if (!(await retireChannel(c.var.deps.db, channel.id, c.var.deps.clock.now()))) throw new AppError("not_found", "channel not found");
  // the CRM's lists of channels (Bitrix24 robot selects) lose it
  await scheduleAutomationRefresh(c.var.deps, c.var.admin.portalId);
  // amoCRM: the account's scope is disconnected once no channel is bound to it (a job decides)
  if (c.var.admin.crm === "amocrm") await scheduleScopeCheck(c.var.deps, channel);
  return c.json({ ok: true as const, deleted: channel.id, ...(warning ? { warning } : {}) });
});
