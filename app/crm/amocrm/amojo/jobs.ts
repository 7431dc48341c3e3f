import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { Channel } from "../../../core/channels.js";
import { enqueueJob } from "../../../core/outbox/enqueue.js";
import type { JobRegistry } from "../../../core/outbox/registry.js";
import { lineBindings } from "../../../db/schema.js";
import type { AppDeps } from "../../../deps.js";
import type { AmoCrmDeps } from "../deps.js";
import { registerHookRefusedJob } from "./hook-refused.js";
import { disconnectUnusedScope, reconnectAccountScopes } from "./scope.js";

/** Connect the account's scope again and re-activate its bindings; enqueued after every (re)install (2.3). */
export const AMOJO_RECONNECT_JOB = "amocrm.reconnect_scopes";
/** Disconnect the account's scope when no live channel is bound any more (2.3). */
export const AMOJO_DISCONNECT_JOB = "amocrm.disconnect_scope";

const portalJob = z.object({ portalId: z.uuid() });

export function registerAmojoJobs(registry: JobRegistry, deps: AmoCrmDeps): void {
  registry.register(AMOJO_RECONNECT_JOB, {
    schema: portalJob,
    handle: async ({ portalId }) => {
      await reconnectAccountScopes(deps, portalId);
    },
  });
  registry.register(AMOJO_DISCONNECT_JOB, {
    schema: portalJob,
    handle: async ({ portalId }) => {
      await disconnectUnusedScope(deps, portalId);
    },
  });
  registerHookRefusedJob(registry, deps);
}

/**
 * Called after a channel of an amoCRM account was retired (which deactivates its bindings): if
 * it had been bound to the account's scope, a job looks whether any channel is still bound and
 * disconnects the scope if not. The job decides when it runs, so a bind in between wins.
 */
export async function scheduleScopeCheck(deps: Pick<AppDeps, "db" | "config" | "clock" | "queue">, channel: Channel): Promise<void> {
  if (!channel.portalId) return;
  const [binding] = await deps.db
    .select({ id: lineBindings.id })
    .from(lineBindings)
    .where(and(eq(lineBindings.channelId, channel.id), eq(lineBindings.crm, "amocrm")))
    .limit(1);
  if (!binding) return;
  const { job } = await enqueueJob(
    deps.db,
    {
      kind: AMOJO_DISCONNECT_JOB,
      payload: { portalId: channel.portalId },
      dedupKey: `${AMOJO_DISCONNECT_JOB}:${channel.id}`,
      maxAttempts: deps.config.OUTBOX_MAX_ATTEMPTS,
    },
    deps.clock.now(),
  );
  await deps.queue.wake([job.id]);
}
