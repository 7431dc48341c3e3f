import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { enqueueJob } from "../../../core/outbox/enqueue.js";
import type { JobRegistry } from "../../../core/outbox/registry.js";
import { portals } from "../../../db/schema.js";
import type { AppDeps } from "../../../deps.js";
import type { AmoCrmDeps } from "../deps.js";
import type { AmoPortalRow } from "../portal.js";
import { amojoAccount } from "./scope.js";

/** A manager's message we could not take: amoCRM is told so (2.8, -1) instead of showing it as sent. */
export const AMOJO_HOOK_REFUSED_JOB = "amocrm.hook_refused";

const payloadSchema = z.object({
  amojoId: z.string().min(1).max(100),
  scopeId: z.string().min(1).max(200),
  amojoMessageId: z.string().min(1).max(200),
  reason: z.string().min(1).max(300),
});
type Refusal = z.output<typeof payloadSchema>;

async function accountByAmojoId(deps: Pick<AmoCrmDeps, "db">, amojoId: string): Promise<AmoPortalRow | undefined> {
  const [row] = await deps.db
    .select()
    .from(portals)
    .where(and(eq(portals.crm, "amocrm"), eq(portals.status, "active"), sql`${portals.settings}->>'amojoId' = ${amojoId}`))
    .limit(1);
  return row;
}

/**
 * Queued by the hook route for an authenticated hook it could not place or send (no client of
 * ours, nothing sendable, a media link we refuse): amojo sends hooks once and the manager would
 * otherwise see the message as sent (6.2 pitfall 7 "use delivery status -1 to surface failures").
 */
export async function queueHookRefusal(deps: Pick<AppDeps, "db" | "config" | "clock" | "queue">, refusal: Refusal): Promise<void> {
  const { job, created } = await enqueueJob(
    deps.db,
    {
      kind: AMOJO_HOOK_REFUSED_JOB,
      payload: refusal,
      dedupKey: `${AMOJO_HOOK_REFUSED_JOB}:${refusal.scopeId}:${refusal.amojoMessageId}`,
      maxAttempts: deps.config.OUTBOX_MAX_ATTEMPTS,
    },
    deps.clock.now(),
  );
  if (created) await deps.queue.wake([job.id]);
}

/** 2.8: -1 with 905 ("other") and the reason, in words a manager can act on. */
export function registerHookRefusedJob(registry: JobRegistry, deps: AmoCrmDeps): void {
  registry.register(AMOJO_HOOK_REFUSED_JOB, {
    schema: payloadSchema,
    async handle({ amojoId, scopeId, amojoMessageId, reason }) {
      const portal = await accountByAmojoId(deps, amojoId);
      if (!portal) return deps.logger.info("amocrm: refused hook of an account no longer installed", { scope: scopeId });
      const account = amojoAccount(deps, portal, scopeId);
      const path = `/v2/origin/custom/${encodeURIComponent(scopeId)}/${encodeURIComponent(amojoMessageId)}/delivery_status`;
      // shown to the manager: our internal ids mean nothing there
      const error = `chatbridge could not send this message: ${reason.replace(/\s*[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\s*/gi, " ").trim()}`.slice(0, 300);
      await account.client.call("POST", path, { msgid: amojoMessageId, status_code: -1, delivery_status: -1, error_code: 905, error }, z.unknown());
    },
  });
}
