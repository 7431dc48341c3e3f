import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../../../core/errors.js";
import type { AppEnv } from "../../../deps.js";
import { handleDisconnectHook, verifyDisconnectHook } from "../disconnect.js";

const hookSchema = z.object({
  account_id: z.string().regex(/^\d{1,20}$/),
  client_uuid: z.string().min(1).max(200),
  signature: z.string().regex(/^[0-9a-fA-F]{64}$/),
});

/**
 * GET /amocrm/disconnect (reference/amocrm.md 1.5): amoCRM's hook when the integration is
 * switched off. A hook that is malformed or not signed for our integration gets 401 and
 * changes nothing; a good one retires the account once amoCRM confirms the access is gone
 * (disconnect.ts: the signature alone can be replayed), repeatably.
 */
export const amoDisconnectHook = new Hono<AppEnv>().get("/amocrm/disconnect", async (c) => {
  const deps = c.var.deps;
  const hook = hookSchema.safeParse(c.req.query());
  if (!hook.success || !(await verifyDisconnectHook(deps.config, hook.data))) {
    throw new AppError("unauthorized", "The disconnect hook is not signed for this integration");
  }
  const outcome = await handleDisconnectHook(deps, hook.data.account_id);
  return c.json({ ok: true, ...(outcome === "disconnected" ? {} : { ignored: outcome }) });
});
