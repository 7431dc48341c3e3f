import { and, eq, gt, inArray } from "drizzle-orm";
import { z } from "zod";
import { viaChannelName } from "../../../core/failover.js";
import { findChannel } from "../../../core/channels.js";
import { enqueueJob } from "../../../core/outbox/enqueue.js";
import type { JobRegistry } from "../../../core/outbox/registry.js";
import { type JobContext, PermanentError, RetryableError } from "../../../core/outbox/types.js";
import type { Db } from "../../../db/index.js";
import { channels, messages, outboxJobs } from "../../../db/schema.js";
import { Bitrix24Client } from "../client.js";
import { Bitrix24Error } from "../errors.js";
import type { Bitrix24Deps } from "../oauth.js";
import { findPortalById, type PortalRow } from "../portal-auth.js";
import { messageResult, type RecipientResult, refusedResult, runReturnValues } from "./robot-results.js";

export const ROBOT_REPLY_JOB = "b24.robot_reply";

/** A recipient of a run: its message, found by the message's dedup key, or why none was queued. */
const runItemSchema = z.union([z.object({ recipient: z.string(), dedupKey: z.string().min(1) }), z.object({ recipient: z.string(), error: z.string() })]);
export type RunItem = z.output<typeof runItemSchema>;

/**
 * `run`: every recipient of a run, written when the run is accepted (robot-run.ts), so the
 * reply knows the refused ones too. `message` and `refused` are what runs with one phone wrote
 * before: jobs of either kind may still be pending when this version starts.
 */
const replyPayloadSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("run"), portalId: z.uuid(), eventToken: z.string().min(1), items: z.array(runItemSchema).min(1), replyBy: z.iso.datetime() }),
  z.object({ kind: z.literal("message"), messageId: z.uuid() }),
  z.object({ kind: z.literal("refused"), portalId: z.uuid(), eventToken: z.string().min(1), error: z.string() }),
]);
export type RobotReply = z.output<typeof replyPayloadSchema>;

/** How often a run's reply looks again while some of its messages have no verdict (statuses also bring it forward). */
export const RUN_LOOK_MS = 20_000;
/** The longest a run waits for verdicts (5.2 `timeout_duration` may cut it shorter: robot-run.ts). */
export const RUN_WAIT_MS = 10 * 60_000;
/** Attempts a run's reply job may spend looking, besides the ordinary ones kept for sending it. */
export const RUN_LOOK_ATTEMPTS = Math.ceil(RUN_WAIT_MS / RUN_LOOK_MS) + 2;

const replyDedupKey = (memberId: string, eventToken: string) => `${ROBOT_REPLY_JOB}:${memberId}:${eventToken}`;

/**
 * Queues the one `bizproc.event.send` of a robot run. The job's dedup key is the run's event
 * token, so whichever comes first is the only reply: a business process takes one answer, and
 * Bitrix24 retrying the robot call or a later status (delivered, read) must not answer again.
 */
export async function enqueueRobotReply(
  db: Db,
  memberId: string,
  eventToken: string,
  reply: RobotReply,
  now: Date,
  maxAttempts: number,
  runAt?: Date,
): Promise<{ jobId: string; created: boolean }> {
  const { job, created } = await enqueueJob(db, { kind: ROBOT_REPLY_JOB, payload: reply, dedupKey: replyDedupKey(memberId, eventToken), maxAttempts, ...(runAt ? { runAt } : {}) }, now);
  return { jobId: job.id, created };
}

/**
 * `bizproc.event.send` (5.3) with the portal's stored token (5.3 allows it) and a line for the
 * BP log. RETURN_VALUES keys must match the robot's RETURN_PROPERTIES (robot-definitions.ts).
 */
export async function sendBizprocEvent(deps: Bitrix24Deps, memberId: string, eventToken: string, values: Readonly<Record<string, string>>, log: string): Promise<void> {
  await new Bitrix24Client(deps, memberId).call("bizproc.event.send", { EVENT_TOKEN: eventToken, RETURN_VALUES: { ...values }, LOG_MESSAGE: log.slice(0, 500) }, z.unknown());
}

/** The RETURN_PROPERTIES robots had before several recipients (robot-properties.ts messageReturns). */
const LEGACY_RETURN_KEYS = ["message_id", "status", "error"] as const;

async function sendResults(deps: Bitrix24Deps, memberId: string, eventToken: string, results: RecipientResult[]): Promise<void> {
  const { values, log } = runReturnValues(results);
  try {
    await sendBizprocEvent(deps, memberId, eventToken, values, log);
  } catch (err) {
    if (!(err instanceof Bitrix24Error)) throw err;
    // 5.3: RETURN_VALUES keys must match the RETURN_PROPERTIES registered. A portal whose robots
    // were registered before `results` and the counts existed (not refreshed since) may refuse
    // the new keys [U: whether extra keys are refused or ignored]: it gets the keys it has.
    const legacy = Object.fromEntries(LEGACY_RETURN_KEYS.map((k) => [k, values[k] ?? ""]));
    deps.logger.warn("bitrix24: bizproc.event.send refused, answering with the first recipient's values only", { member_id: memberId, error: err.code });
    await sendBizprocEvent(deps, memberId, eventToken, legacy, log).catch((second: unknown) => {
      // refused again: the first refusal says what is wrong; an outage is retried as such
      throw second instanceof Bitrix24Error ? err : second;
    });
  }
  deps.logger.info("bitrix24: robot answered", { member_id: memberId, recipients: results.length, sent: values.sent_count, failed: values.failed_count });
}

/** The portal a robot or SMS message went out for: its channel's (one portal per channel). */
export async function portalOfMessage(db: Db, message: { id: string; channelId: string }): Promise<PortalRow> {
  const channel = await findChannel(db, message.channelId);
  const portal = channel?.portalId ? await findPortalById(db, channel.portalId) : undefined;
  if (!portal) throw new Bitrix24Error("no_portal", `the channel of message ${message.id} no longer belongs to a Bitrix24 portal`);
  return portal;
}

async function replyForMessage(deps: Bitrix24Deps, messageId: string): Promise<void> {
  const [message] = await deps.db.select().from(messages).where(eq(messages.id, messageId));
  if (!message?.crmMessageId) throw new PermanentError(`robot message ${messageId} no longer exists`, "message_removed");
  // the reply is queued on a status change, so a message still queued means a stale read: look again
  if (message.status === "queued") throw new RetryableError(`robot message ${messageId} is still queued`);
  const portal = await portalOfMessage(deps.db, message);
  await sendResults(deps, portal.externalId, message.crmMessageId, [messageResult("", message, await viaChannelName(deps.db, message))]);
}

/**
 * The reply of a run with its recipients' messages: sent once every message has a verdict
 * (sent, delivered, read or failed: the first status is the answer, as with one phone), or
 * when the run's time is up or its looks are spent, with the messages still queued reported
 * as queued. A message that never got written (the handler died between the reply job and
 * the message) is failed then.
 */
async function replyForRun(deps: Bitrix24Deps, p: Extract<RobotReply, { kind: "run" }>, ctx: JobContext): Promise<void> {
  const portal = await findPortalById(deps.db, p.portalId);
  if (!portal) throw new Bitrix24Error("portal_unknown", `portal ${p.portalId} no longer exists`);
  const keys = p.items.flatMap((i) => ("dedupKey" in i ? [i.dedupKey] : []));
  const rows = keys.length ? await deps.db.select().from(messages).where(inArray(messages.dedupKey, keys)) : [];
  const byKey = new Map(rows.map((r) => [r.dedupKey, r]));
  const waiting = keys.filter((k) => (byKey.get(k)?.status ?? "queued") === "queued");
  // the attempts left after the looks are kept for sending the reply itself
  const outOfTime = deps.clock.now().getTime() >= Date.parse(p.replyBy) || ctx.job.attempts > ctx.job.maxAttempts - deps.config.OUTBOX_MAX_ATTEMPTS;
  if (waiting.length > 0 && !outOfTime) throw new RetryableError(`${waiting.length} of ${keys.length} robot messages have no verdict yet`, RUN_LOOK_MS);
  const results = await Promise.all(
    p.items.map(async (item) => {
      if ("error" in item) return refusedResult(item.recipient, item.error);
      const row = byKey.get(item.dedupKey);
      return row ? messageResult(item.recipient, row, await viaChannelName(deps.db, row)) : refusedResult(item.recipient, "the message was not queued");
    }),
  );
  await sendResults(deps, portal.externalId, p.eventToken, results);
}

async function sendReply(deps: Bitrix24Deps, reply: RobotReply, ctx: JobContext): Promise<void> {
  if (reply.kind === "run") return replyForRun(deps, reply, ctx);
  if (reply.kind === "message") return replyForMessage(deps, reply.messageId);
  const portal = await findPortalById(deps.db, reply.portalId);
  if (!portal) throw new Bitrix24Error("portal_unknown", `portal ${reply.portalId} no longer exists`);
  await sendResults(deps, portal.externalId, reply.eventToken, [refusedResult("", reply.error)]);
}

export function registerRobotReplyJob(registry: JobRegistry, deps: Bitrix24Deps): void {
  registry.register(ROBOT_REPLY_JOB, { schema: replyPayloadSchema, handle: (reply, ctx) => sendReply(deps, reply, ctx) });
}

/** Whether some message of the run (same event token, same portal) still waits for its verdict. */
async function runHasQueued(db: Db, portalId: string, eventToken: string): Promise<boolean> {
  const [row] = await db
    .select({ id: messages.id })
    .from(messages)
    .innerJoin(channels, eq(channels.id, messages.channelId))
    .where(and(eq(messages.crmMessageId, eventToken), eq(messages.origin, "robot"), eq(messages.status, "queued"), eq(channels.portalId, portalId)))
    .limit(1);
  return row !== undefined;
}

/**
 * `crm.report_status` of a robot's message (connector/report-status.ts). A run's reply job was
 * written with the run; once its last message has a verdict, the job is brought forward so
 * the process gets its answer now rather than at the next look. Runs written by the version
 * before have no reply job yet: the first status queues one, as it did.
 */
export async function queueRobotStatusReply(deps: Bitrix24Deps, message: { id: string; channelId: string; crmMessageId: string | null }): Promise<void> {
  if (!message.crmMessageId) return;
  const portal = await portalOfMessage(deps.db, message);
  const now = deps.clock.now();
  const { jobId, created } = await enqueueRobotReply(deps.db, portal.externalId, message.crmMessageId, { kind: "message", messageId: message.id }, now, deps.config.OUTBOX_MAX_ATTEMPTS);
  if (created || (await runHasQueued(deps.db, portal.id, message.crmMessageId))) return;
  const hurried = await deps.db
    .update(outboxJobs)
    .set({ runAt: now, updatedAt: now })
    .where(and(eq(outboxJobs.id, jobId), eq(outboxJobs.status, "pending"), gt(outboxJobs.runAt, now)))
    .returning({ id: outboxJobs.id });
  if (hurried.length === 0) deps.logger.info("bitrix24: robot run already answered or answering, later status not sent", { message: message.id });
}
