import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { hotStatement } from "../../db/hot-statement.js";
import { columnList, fromDriverRow, fromJoinedRow } from "../../db/index.js";
import { channels, messages } from "../../db/schema.js";
import type { AppDeps } from "../../deps.js";
import {
  type MessageTemplate,
  type OutgoingContent,
  ProviderPermanentError,
  ProviderRetryableError,
  type SendProgress,
  type SendResult,
} from "../../providers/types.js";
import { type Channel, pacingOf, type ProviderDeps, providerContext, providerOf } from "../channels.js";
import { type CapPlace, markFirstSent, releaseDailySend } from "../daily-caps.js";
import { type BlockReason, blockReasonOf, endFailover, fallbacksOf, noteSendFailure, noteSendSuccess, recordFailover } from "../failover.js";
import { forgetChannel } from "../lookup-cache.js";
import { movePaceKey } from "../outbox/claim.js";
import { isDatabaseUnavailable, retryWhileDatabaseAway } from "../database-errors.js";
import { type Metrics, metricsOf } from "../metrics.js";
import type { JobRegistry } from "../outbox/registry.js";
import { DeferredError, PermanentError, RetryableError } from "../outbox/types.js";
import { peerFromKey } from "../peer.js";
import { lastInboundAt, windowClosedText, windowHoursOf, windowOpen } from "../service-window.js";
import { SEND_JOB } from "./outgoing.js";
import { recordStatus } from "./record-status.js";
import { routeSend } from "./send-route.js";
import type { Message } from "./status.js";

const payload = z.object({ messageId: z.uuid() });

function contentOf(message: Message): OutgoingContent {
  if (message.file) {
    return {
      type: "file",
      url: message.file.url,
      ...(message.file.name ? { name: message.file.name } : {}),
      ...(message.file.mime ? { mime: message.file.mime } : {}),
      ...(message.body ? { caption: message.body } : {}),
    };
  }
  return { type: "text", text: message.body ?? "" };
}

/** The provider's form of a stored template send: body values keyed "1", "2"… */
function templateOf(message: Message): MessageTemplate | undefined {
  const t = message.template;
  if (!t) return undefined;
  return {
    id: t.name,
    params: Object.fromEntries(t.params.map((v, i) => [String(i + 1), v])),
    ...(t.language ? { language: t.language } : {}),
    ...(t.headerParams?.length ? { headerParams: t.headerParams } : {}),
    ...(t.headerMediaUrl ? { headerMediaUrl: t.headerMediaUrl } : {}),
  };
}

const PROGRESS_WRITE_TRIES = 3;
/** how long before the job's lease ends the send stops waiting for the database */
const LEASE_MARGIN_MS = 2_000;
const PROGRESS_RETRY_MS = 250;

/**
 * The message's durable send progress (SendRequest.progress): each part is written to the row
 * as soon as the provider took it. The send job holds the message's lease, so it is the only
 * writer while it runs. While the database is away the write is tried again until `deadline`
 * (the job's lease); a part the provider took but the row could not record after that (or
 * after a few tries of any other error) ends the send for good: a retry would send that part
 * again, and a partial message is better shown as failed than the client getting a part twice.
 */
export function sendProgressOf(deps: Pick<AppDeps, "db">, message: Message, deadline?: number): SendProgress {
  const parts: Array<string | null> = [...(message.sendProgress ?? [])];
  return {
    parts,
    async record(index, providerId) {
      while (parts.length < index) parts.push(null);
      parts[index] = providerId;
      for (let attempt = 1; ; attempt += 1) {
        try {
          await deps.db.update(messages).set({ sendProgress: [...parts] }).where(eq(messages.id, message.id));
          return;
        } catch (err) {
          const waitForDatabase = deadline !== undefined && isDatabaseUnavailable(err) && Date.now() + PROGRESS_RETRY_MS * attempt < deadline;
          if (attempt >= PROGRESS_WRITE_TRIES && !waitForDatabase) {
            throw new PermanentError(
              `part ${index + 1} was sent but could not be recorded (${err instanceof Error ? err.message : String(err)}); not retried, so no part goes twice`,
              "progress_unsaved",
            );
          }
          await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, PROGRESS_RETRY_MS * attempt)));
        }
      }
    },
  };
}

/** chatbridge_provider_calls_total: every hand-over of a message to a provider, with the typed error's code when it fails. */
async function countedSend<T>(metrics: Metrics, provider: string, send: () => Promise<T>): Promise<T> {
  try {
    const result = await send();
    metrics.inc("chatbridge_provider_calls_total", { provider, outcome: "ok", code: "" });
    return result;
  } catch (err) {
    // provider errors carry a code from a fixed list (ProviderErrorCode), so the label stays small
    const code = err instanceof Error && "code" in err && typeof err.code === "string" && err.code ? err.code : "unknown";
    metrics.inc("chatbridge_provider_calls_total", { provider, outcome: err instanceof RetryableError ? "retry" : "failed", code });
    throw err;
  }
}

async function loadMessage(deps: Pick<AppDeps, "db">, id: string): Promise<Message | undefined> {
  const [row] = await deps.db.select().from(messages).where(eq(messages.id, id));
  return row;
}

const messageAndChannel = hotStatement<"id">(
  "send_job_load",
  (p) => sql`select ${columnList(messages, "m", "")}, ${columnList(channels, "c", "c__")}
    from messages m left join channels c on c.id = m.channel_id and c.deleted_at is null
    where m.id = ${p("id")}::uuid`,
);

/** The message and its live channel in one query (the send job's first read). */
async function loadMessageAndChannel(deps: Pick<AppDeps, "db">, id: string): Promise<{ message: Message; channel: Channel | null } | undefined> {
  const [row] = await messageAndChannel.rows<Record<string, unknown>>(deps.db, { id });
  if (!row) return undefined;
  return { message: fromDriverRow(messages, row), channel: fromJoinedRow(channels, row, "c__") };
}

type SendDeps = ProviderDeps & Pick<AppDeps, "db" | "metrics">;

/** Provider refusals that mean the number itself cannot send, and the state they put the channel in. */
const BLOCKING_REFUSALS: Partial<Record<string, "banned" | "unauthorized">> = { banned: "banned", invalid_credentials: "unauthorized" };

/**
 * What a provider's refusal means for a channel with a group (core/failover.ts), as the error
 * the job throws. A retryable failure (not a "slow down") counts towards the channel being
 * down. When another channel of the group can still send: a ban or refused credentials set the
 * channel's state and the message goes to the next channel at once; "not connected" is retried,
 * and counted, until the channel is down. Without such a channel the refusal stands as before.
 */
async function providerRefusal(deps: SendDeps, sender: Channel, own: Channel, err: unknown, now: Date): Promise<unknown> {
  const retryable = err instanceof ProviderRetryableError && err.code !== "rate_limited";
  const notConnected = err instanceof ProviderPermanentError && err.code === "not_connected";
  const blocking = err instanceof ProviderPermanentError ? BLOCKING_REFUSALS[err.code] : undefined;
  if (!retryable && !notConnected && !blocking) return err;
  if (retryable) {
    await noteSendFailure(deps.db, sender.id, now);
    return err;
  }
  const group = [own, ...(await fallbacksOf(deps.db, own))].filter((c) => c.id !== sender.id && !blockReasonOf(c, now, deps.config));
  if (group.length === 0) return err;
  const reason = err instanceof Error ? err.message : String(err);
  if (blocking) {
    await deps.db.update(channels).set({ state: blocking, stateCheckedAt: now, updatedAt: now }).where(eq(channels.id, sender.id));
    forgetChannel(sender.id);
    return new DeferredError(`${sender.name} cannot send (${reason}): the message goes to the next channel of its group`, 0);
  }
  await noteSendFailure(deps.db, sender.id, now);
  return new RetryableError(`${sender.name} is not connected (${reason}): retried, then sent through its group once it counts as down`);
}

/**
 * Bookkeeping once the provider took the message: the new chat it counted, the end of the
 * sender's failure streak, the failover event and CRM note. Logged, never thrown: the message
 * is sent, and the job must not look failed for what follows.
 */
async function afterSend(
  deps: SendDeps,
  sent: { message: Message; own: Channel; sender: Channel; place: CapPlace | null; failover: BlockReason | undefined; at: Date },
): Promise<void> {
  try {
    if (sent.place) await markFirstSent(deps.db, sent.place, sent.message.peer, sent.at);
    await noteSendSuccess(deps.db, sent.sender, sent.at);
    // the channel could have sent (the client chose the other number): its failover is over
    if (sent.sender.id !== sent.own.id && !sent.failover && !blockReasonOf(sent.own, sent.at, deps.config)) await endFailover(deps.db, sent.own, sent.at);
    // the note job is picked up by the processor running this one, which looks for work when a job ends
    if (sent.failover) await recordFailover(deps, sent.own, sent.sender, sent.failover, sent.message, sent.at);
  } catch (err) {
    deps.logger.warn("send: bookkeeping after the provider took the message failed", {
      message: sent.message.id,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}

/**
 * `message.send`: hands a queued outgoing message to its channel's provider. Provider errors
 * are typed, so the outbox retries what can succeed; a permanent one (no messenger, banned,
 * bad credentials) marks the message failed with its code at once.
 */
export function registerSendJob(registry: JobRegistry, deps: SendDeps): void {
  registry.register(SEND_JOB, {
    schema: payload,
    async handle({ messageId }, job) {
      // writes after the provider took the message wait for an absent database up to here:
      // past the lease another process may take the job, and the wait would be for nothing
      // (the lease is in the job clock's time, the deadline in real time)
      const leaseLeftMs = job.job.leaseUntil ? job.job.leaseUntil.getTime() - deps.clock.now().getTime() : 10_000;
      const recordDeadline = Date.now() + leaseLeftMs - LEASE_MARGIN_MS;
      const loaded = await loadMessageAndChannel(deps, messageId);
      if (!loaded) throw new PermanentError(`message ${messageId} no longer exists`);
      const { message, channel } = loaded;
      // Already handed over (a retry after the provider accepted but before the job was
      // marked done): sending again would duplicate it.
      if (message.status !== "queued" || message.providerMessageId) return;
      if (!channel) throw new PermanentError("channel was removed", "channel_removed");
      const to = peerFromKey(message.peer);
      const template = templateOf(message);
      let place: CapPlace | null = null;
      try {
        const now = deps.clock.now();
        const route = await routeSend(deps, message, channel, now);
        if (route.kind === "wait") {
          throw new DeferredError(
            `${route.channel.name} reached its daily ${route.cap === "messages" ? "message" : "new-chat"} cap: the message waits until ${route.until.toISOString()}`,
            Math.max(0, route.until.getTime() - now.getTime()),
            // over its message cap the whole channel waits; over the new-chats cap only messages to new clients do
            route.channel.id === channel.id && route.cap === "messages",
          );
        }
        const { sender } = route;
        place = route.place;
        // a send through another channel is paced as that channel's: its number's own spacing holds
        const senderPace = `channel:${sender.id}`;
        if (job.job.paceKey && job.job.paceKey !== senderPace) {
          if (place) await releaseDailySend(deps.db, place);
          place = null;
          await movePaceKey(deps.db, job.job, { key: senderPace, ...pacingOf(sender) }, now);
          throw new DeferredError(`goes out through ${sender.name}: moved to its pace`, 0);
        }
        const provider = providerOf(sender);
        // checked when the message is due, not when it was queued: the client may have written since
        const hours = windowHoursOf(sender);
        if (hours !== undefined && !template && !windowOpen(await lastInboundAt(deps.db, sender.id, to), hours, now)) {
          throw new PermanentError(windowClosedText(hours), "template_required");
        }
        const ctx = await providerContext(deps, sender);
        let result: SendResult;
        try {
          result = await countedSend(metricsOf(deps), sender.provider, () =>
            provider.send(ctx, {
              to,
              content: contentOf(message),
              messageId: message.id,
              progress: sendProgressOf(deps, message, recordDeadline),
              ...(template ? { template } : {}),
            }),
          );
        } catch (err) {
          throw await providerRefusal(deps, sender, channel, err, now);
        }
        const status = provider.capabilities.deliveredWhenAccepted ? "delivered" : "sent";
        const sentAt = deps.clock.now();
        const via = sender.id !== channel.id ? { viaChannelId: sender.id } : {};
        await retryWhileDatabaseAway(
          () => recordStatus(deps, message, { status, at: sentAt, providerMessageId: result.providerMessageId, ...via }),
          recordDeadline,
        );
        const sentPlace = place;
        place = null;
        // bookkeeping after the send: a failure here must not make the job send again
        await afterSend(deps, { message, own: channel, sender, place: sentPlace, failover: route.failover, at: sentAt });
      } catch (err) {
        if (place) await releaseDailySend(deps.db, place).catch(() => undefined);
        if (err instanceof PermanentError) {
          await recordStatus(deps, message, {
            status: "failed",
            at: deps.clock.now(),
            reason: err.message,
            errorCode: err.code ?? "delivery_failed",
          });
        }
        throw err;
      }
    },
    async onDead({ messageId }, error) {
      const message = await loadMessage(deps, messageId);
      // a message the provider already took (dead-lettered for a lease that ran out after) is not failed
      if (message?.status === "queued") {
        await recordStatus(deps, message, { status: "failed", at: deps.clock.now(), reason: error });
      }
    },
  });
}
