import { eq } from "drizzle-orm";
import { z } from "zod";
import { findChannel } from "../../../core/channels.js";
import { enqueueJob } from "../../../core/outbox/enqueue.js";
import type { JobRegistry } from "../../../core/outbox/registry.js";
import { PermanentError, RetryableError } from "../../../core/outbox/types.js";
import type { Db } from "../../../db/index.js";
import { messages } from "../../../db/schema.js";
import { Bitrix24Client } from "../client.js";
import { Bitrix24Error } from "../errors.js";
import type { Bitrix24Deps } from "../oauth.js";
import { findPortalById, type PortalRow } from "../portal-auth.js";

export const ROBOT_REPLY_JOB = "b24.robot_reply";

/** Either the run's message (its status is read when the reply goes), or a refusal before any message existed. */
const replyPayloadSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("message"), messageId: z.uuid() }),
  z.object({ kind: z.literal("refused"), portalId: z.uuid(), eventToken: z.string().min(1), error: z.string() }),
]);
export type RobotReply = z.output<typeof replyPayloadSchema>;

/** 5.3: RETURN_VALUES keys must match the RETURN_PROPERTIES registered (automation/registration.ts). */
interface ReturnValues {
  message_id: string;
  status: string;
  error: string;
}

/**
 * Queues the one `bizproc.event.send` of a robot run. The job's dedup key is the run's event
 * token, so whichever comes first (a refusal, the first status of its message) is the only
 * reply: a business process takes one answer, and Bitrix24 retrying the robot call or a later
 * status (delivered, read) must not answer again.
 */
export async function enqueueRobotReply(db: Db, memberId: string, eventToken: string, reply: RobotReply, now: Date, maxAttempts: number): Promise<{ jobId: string; created: boolean }> {
  const { job, created } = await enqueueJob(db, { kind: ROBOT_REPLY_JOB, payload: reply, dedupKey: `${ROBOT_REPLY_JOB}:${memberId}:${eventToken}`, maxAttempts }, now);
  return { jobId: job.id, created };
}

/**
 * `bizproc.event.send` (5.3) with the portal's stored token (5.3 allows it) and a line for the
 * BP log. RETURN_VALUES keys must match the robot's RETURN_PROPERTIES (robot-definitions.ts).
 */
export async function sendBizprocEvent(deps: Bitrix24Deps, memberId: string, eventToken: string, values: Readonly<Record<string, string>>, log: string): Promise<void> {
  await new Bitrix24Client(deps, memberId).call("bizproc.event.send", { EVENT_TOKEN: eventToken, RETURN_VALUES: { ...values }, LOG_MESSAGE: log.slice(0, 500) }, z.unknown());
}

async function sendEvent(deps: Bitrix24Deps, memberId: string, eventToken: string, values: ReturnValues): Promise<void> {
  const log = values.status === "failed" ? `chatbridge: message not sent: ${values.error}` : `chatbridge: message ${values.status}`;
  await sendBizprocEvent(deps, memberId, eventToken, { ...values }, log);
  deps.logger.info("bitrix24: robot answered", { member_id: memberId, status: values.status });
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
  const error = message.status === "failed" ? (message.errorMessage ?? message.errorCode ?? "delivery failed") : "";
  await sendEvent(deps, portal.externalId, message.crmMessageId, { message_id: message.id, status: message.status, error });
}

async function sendReply(deps: Bitrix24Deps, reply: RobotReply): Promise<void> {
  if (reply.kind === "message") return replyForMessage(deps, reply.messageId);
  const portal = await findPortalById(deps.db, reply.portalId);
  if (!portal) throw new Bitrix24Error("portal_unknown", `portal ${reply.portalId} no longer exists`);
  await sendEvent(deps, portal.externalId, reply.eventToken, { message_id: "", status: "failed", error: reply.error });
}

export function registerRobotReplyJob(registry: JobRegistry, deps: Bitrix24Deps): void {
  registry.register(ROBOT_REPLY_JOB, { schema: replyPayloadSchema, handle: (reply) => sendReply(deps, reply) });
}

/** `crm.report_status` of a robot's message (connector/report-status.ts): the run's reply, queued once. */
export async function queueRobotStatusReply(deps: Bitrix24Deps, message: { id: string; channelId: string; crmMessageId: string | null }): Promise<void> {
  if (!message.crmMessageId) return;
  const portal = await portalOfMessage(deps.db, message);
  const { created } = await enqueueRobotReply(deps.db, portal.externalId, message.crmMessageId, { kind: "message", messageId: message.id }, deps.clock.now(), deps.config.OUTBOX_MAX_ATTEMPTS);
  if (!created) deps.logger.info("bitrix24: robot run already answered, later status not sent", { message: message.id });
}
