import { queueOutgoing } from "../../../core/messages/outgoing.js";
import { peerKey } from "../../../core/peer.js";
import { MIRROR_OUTGOING_JOB, timelineNoteJob } from "../../../core/webhook-send.js";
import type { AppDeps } from "../../../deps.js";
import type { BracketObject } from "../bracket-form.js";
import { findActiveBinding } from "../connector/binding.js";
import type { PortalRow } from "../portal-auth.js";
import type { RobotKind } from "./robot-definitions.js";
import { enqueueRobotReply, RUN_LOOK_ATTEMPTS, RUN_LOOK_MS, RUN_WAIT_MS, type RunItem } from "./robot-reply.js";
import { readRobotSend, type RobotSend } from "./send-request.js";
import { readTemplateSend } from "./template-request.js";
import { timelineDocumentOf } from "./timeline-note.js";

/** What the handler took from the call itself (5.2), besides the properties. */
export interface RobotCall {
  eventToken: string;
  /** 5.1 USE_SUBSCRIPTION: false = the process does not wait for bizproc.event.send */
  waits: boolean;
  /** 5.2 `document_id`: the CRM item the robot runs on */
  documentId?: string[] | undefined;
  /** 5.2 `timeout_duration`, seconds the process waits [U: meaning inferred] */
  timeoutSeconds?: number | undefined;
}

/** The handler's answer (Bitrix24 reads only the status; people debugging read the body). */
export interface RunAnswer {
  ok: true;
  message_id?: string;
  duplicate?: boolean;
  error?: string;
  results?: Array<{ recipient: string; message_id?: string; error?: string }>;
}

/** A reply sent this long before the process stops waiting still reaches it. */
const TIMEOUT_MARGIN_MS = 30_000;

/** When the run's reply goes at the latest: RUN_WAIT_MS, or less when the process waits less (5.2 `timeout_duration`). */
function replyDeadline(now: Date, timeoutSeconds: number | undefined): Date {
  const waits = timeoutSeconds && timeoutSeconds > 0 ? Math.max(RUN_LOOK_MS, timeoutSeconds * 1000 - TIMEOUT_MARGIN_MS) : RUN_WAIT_MS;
  return new Date(now.getTime() + Math.min(RUN_WAIT_MS, waits));
}

async function readSend(deps: AppDeps, portal: PortalRow, form: BracketObject, kind: Exclude<RobotKind, "check_phone">): Promise<RobotSend> {
  return kind === "send_template" ? readTemplateSend(deps, portal, form) : readRobotSend(deps, portal, form, kind);
}

/**
 * A send, send-file or template run (5.2): one message per recipient, each under its own
 * dedup key (the run's event token and the recipient), so Bitrix24 repeating the call sends
 * nothing twice. A run with one recipient keeps the key robots had before (a call repeated
 * across an upgrade is still a repeat). The reply job (5.3) is written before the messages, so
 * it already exists when their first statuses come; it lists every recipient, refused ones
 * with their reason.
 */
export async function acceptRobotRun(deps: AppDeps, portal: PortalRow, form: BracketObject, kind: Exclude<RobotKind, "check_phone">, call: RobotCall): Promise<RunAnswer> {
  const send = await readSend(deps, portal, form, kind);
  const base = `b24robot:${portal.externalId}:${call.eventToken}`;
  const now = deps.clock.now();
  if (!send.ok) {
    deps.logger.warn("bitrix24: robot run refused", { member_id: portal.externalId, reason: send.error });
    const items: RunItem[] = send.recipients.length ? send.recipients.map((recipient) => ({ recipient, error: send.error })) : [{ recipient: "", error: send.error }];
    if (call.waits) await writeReply(deps, portal, call, items, now, true);
    return { ok: true, error: send.error };
  }
  const single = send.recipients.length === 1;
  const items: RunItem[] = send.recipients.map((r) => ("peer" in r ? { recipient: r.recipient, dedupKey: single ? base : `${base}:${peerKey(r.peer)}` } : r));
  const sendable = items.some((i) => "dedupKey" in i);
  if (call.waits) await writeReply(deps, portal, call, items, now, !sendable);
  // send_to_ol=Y on a channel bound to a line: the same mirror job as the webhook API's send_to_imol (section 4's bridge pattern)
  const mirror = send.sendToOpenLine && (await findActiveBinding(deps.db, send.channel.id)) !== undefined;
  const document = timelineDocumentOf(call.documentId?.[2]);
  const results: NonNullable<RunAnswer["results"]> = [];
  let created = false;
  for (const [i, outcome] of send.recipients.entries()) {
    const item = items[i]!;
    if (!("peer" in outcome) || !("dedupKey" in item)) {
      results.push({ recipient: outcome.recipient, error: "error" in outcome ? outcome.error : "" });
      continue;
    }
    const queued = await queueOutgoing(deps, {
      channel: send.channel,
      peer: outcome.peer,
      content: send.content,
      ...(send.template ? { template: send.template } : {}),
      origin: "robot",
      dedupKey: item.dedupKey,
      sendToImol: mirror,
      // a process that does not wait gets no answer: without a CRM id no status job is written
      ...(call.waits ? { crmMessageId: call.eventToken } : {}),
      extraJobs: (id) => [...(mirror ? [{ kind: MIRROR_OUTGOING_JOB, payload: { messageId: id }, dedupKey: `${MIRROR_OUTGOING_JOB}:${id}` }] : []), timelineNoteJob(id, document)],
    });
    created ||= queued.created;
    results.push({ recipient: outcome.recipient, message_id: queued.message.id });
  }
  const first = results[0]!;
  return {
    ok: true,
    ...(first.message_id ? { message_id: first.message_id } : { error: first.error ?? "" }),
    ...(sendable ? { duplicate: !created } : {}),
    ...(single ? {} : { results }),
  };
}

/**
 * The run's reply job: due at once when nothing was queued (every recipient refused), else at
 * the first look, brought forward by the last status (robot-reply.ts queueRobotStatusReply).
 */
async function writeReply(deps: AppDeps, portal: PortalRow, call: RobotCall, items: RunItem[], now: Date, dueNow: boolean): Promise<void> {
  const reply = { kind: "run" as const, portalId: portal.id, eventToken: call.eventToken, items, replyBy: replyDeadline(now, call.timeoutSeconds).toISOString() };
  const runAt = dueNow ? now : new Date(now.getTime() + RUN_LOOK_MS);
  const { jobId, created } = await enqueueRobotReply(deps.db, portal.externalId, call.eventToken, reply, now, deps.config.OUTBOX_MAX_ATTEMPTS + RUN_LOOK_ATTEMPTS, runAt);
  if (created && dueNow) await deps.queue.wake([jobId]);
}
