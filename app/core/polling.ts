import { and, desc, eq, gte, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../db/index.js";
import { channels, messages, outboxJobs } from "../db/schema.js";
import type { AppDeps } from "../deps.js";
import { providers } from "../providers/index.js";
import { findChannel, providerContext, providerOf } from "./channels.js";
import { recordProviderEvents } from "./messages/inbound.js";
import { enqueueJob } from "./outbox/enqueue.js";
import type { JobRegistry } from "./outbox/registry.js";
import { noopWaker } from "./outbox/types.js";

/** Fetches events of providers without push webhooks (WAMM), one chain of jobs per channel. */
export const POLL_JOB = "channel.poll";
export const DEFAULT_POLL_INTERVAL_MS = 20_000;
/** statuses are asked for the most recent sends only: older ones have settled */
const OUTSTANDING_WINDOW_MS = 3 * 24 * 3600_000;
const OUTSTANDING_LIMIT = 50;

const payload = z.object({ channelId: z.uuid(), chain: z.string(), seq: z.number().int().min(0) });
type PollPayload = z.output<typeof payload>;

/**
 * Each poll enqueues the next one with a key derived from its own, so a poll retried after a
 * crash cannot fork the chain into two.
 */
async function enqueuePoll(db: Db, poll: PollPayload, runAt: Date, now: Date): Promise<void> {
  await enqueueJob(
    db,
    { kind: POLL_JOB, payload: poll, dedupKey: `${POLL_JOB}:${poll.channelId}:${poll.chain}:${poll.seq}`, runAt, maxAttempts: 5 },
    now,
  );
}

export function registerPolling(registry: JobRegistry, deps: Omit<AppDeps, "queue">): void {
  registry.register(POLL_JOB, {
    schema: payload,
    async handle({ channelId, chain, seq }) {
      const channel = await findChannel(deps.db, channelId);
      if (!channel) return; // removed: the chain ends
      const provider = providerOf(channel);
      if (!provider.poll) return;
      const now = deps.clock.now();
      const outstanding = await deps.db
        .select({ id: messages.providerMessageId })
        .from(messages)
        .where(
          and(
            eq(messages.channelId, channel.id),
            eq(messages.direction, "out"),
            inArray(messages.status, ["sent", "delivered"]),
            isNotNull(messages.providerMessageId),
            gte(messages.createdAt, new Date(now.getTime() - OUTSTANDING_WINDOW_MS)),
          ),
        )
        .orderBy(desc(messages.createdAt))
        .limit(OUTSTANDING_LIMIT);
      const ctx = await providerContext(deps, channel);
      const interval = channel.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
      let result;
      try {
        result = await provider.poll(ctx, channel.pollCursor, {
          outstanding: outstanding.flatMap((m) => (m.id ? [m.id] : [])),
        });
      } catch (err) {
        // Polling repeats by itself: a failed round is logged and the chain goes on, slower,
        // instead of retrying into the dead letter and leaving the channel deaf for an hour.
        deps.logger.warn("poll failed", { channel: channel.id, error: err instanceof Error ? err.message : String(err) });
        await enqueuePoll(deps.db, { channelId: channel.id, chain, seq: seq + 1 }, new Date(now.getTime() + interval * 3), now);
        return;
      }
      // the job processor looks for new work when this job finishes, so no wake-up is needed
      await recordProviderEvents({ ...deps, queue: noopWaker }, channel, result.events);
      await deps.db.transaction(async (tx) => {
        await tx.update(channels).set({ pollCursor: result.cursor, updatedAt: now }).where(eq(channels.id, channel.id));
        await enqueuePoll(tx, { channelId: channel.id, chain, seq: seq + 1 }, new Date(now.getTime() + interval), now);
      });
    },
  });
}

/**
 * Starts a poll chain for every polled channel that has none pending (new channels, and chains
 * ended by a dead-lettered poll). Called at start-up and by the hourly maintenance; the restart
 * key is per hour, so concurrent instances start one chain, not several.
 */
export async function ensurePolling(db: Db, now: Date): Promise<number> {
  const polled = Object.entries(providers)
    .filter(([, p]) => p.capabilities.inbound === "poll")
    .map(([name]) => name);
  if (polled.length === 0) return 0;
  const live = await db
    .select({ id: channels.id })
    .from(channels)
    .where(
      and(
        inArray(channels.provider, polled),
        isNull(channels.deletedAt),
        sql`not exists (select 1 from ${outboxJobs} j where j.kind = ${POLL_JOB}
              and j.status in ('pending', 'running') and j.payload->>'channelId' = ${channels.id}::text)`,
      ),
    );
  const hour = now.toISOString().slice(0, 13);
  for (const c of live) await enqueuePoll(db, { channelId: c.id, chain: `start-${hour}`, seq: 0 }, now, now);
  return live.length;
}

