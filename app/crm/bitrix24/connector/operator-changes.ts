import { and, asc, eq } from "drizzle-orm";
import { z } from "zod";
import { providerOf } from "../../../core/channels.js";
import { enqueueJob } from "../../../core/outbox/enqueue.js";
import type { JobRegistry } from "../../../core/outbox/registry.js";
import { messages } from "../../../db/schema.js";
import type { AppDeps } from "../../../deps.js";
import type { BracketObject } from "../bracket-form.js";
import type { Bitrix24Deps } from "../oauth.js";
import type { PortalRow } from "../portal-auth.js";
import { sendToOpenLine } from "./client-message.js";
import { loadOpenLineContext } from "./message-context.js";
import { readOperatorEvent } from "./operator-messages.js";

export const OPERATOR_CHANGE_JOB = "b24.operator_change_note";

export type OperatorChange = "edit" | "delete";

export interface OperatorChangesResult {
  ignored?: string;
  noted: number;
  unknown: number;
}

const payloadSchema = z.object({ messageId: z.uuid(), change: z.enum(["edit", "delete"]) });

/** A short digest of an edited text, so each distinct edit is noted once and a redelivered event not again. */
async function digest(text: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(bytes.slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * ONIMCONNECTORMESSAGEUPDATE / ONIMCONNECTORMESSAGEDELETE (3.7 "same as Add", 3.9): an operator
 * changed a message that already went to the client. None of our providers can edit or delete a
 * sent WhatsApp/Telegram message (no such call in their APIs, reference/providers.md), so the
 * change cannot reach the client; the operator is told so in the chat, once per change, by a
 * job (the event is answered at once). A message that was never sent by us (unknown IM id) is
 * counted and left alone.
 */
export async function queueOperatorChanges(deps: AppDeps, portal: PortalRow, form: BracketObject, change: OperatorChange): Promise<OperatorChangesResult> {
  const result: OperatorChangesResult = { noted: 0, unknown: 0 };
  const event = await readOperatorEvent(deps, portal, form);
  if ("ignored" in event) return { ...result, ignored: event.ignored };
  const { channel } = event;
  const now = deps.clock.now();
  for (const m of event.messages) {
    // the first message of the operator's post (text before files) stands for it
    const [original] = await deps.db
      .select({ id: messages.id })
      .from(messages)
      .where(and(eq(messages.channelId, channel.id), eq(messages.origin, "openlines"), eq(messages.crmMessageId, m.im.message_id)))
      .orderBy(asc(messages.createdAt))
      .limit(1);
    if (!original) {
      result.unknown++;
      continue;
    }
    const text = m.message.text ?? "";
    const key = change === "edit" ? `${OPERATOR_CHANGE_JOB}:${original.id}:edit:${await digest(text)}` : `${OPERATOR_CHANGE_JOB}:${original.id}:delete`;
    await enqueueJob(
      deps.db,
      { kind: OPERATOR_CHANGE_JOB, payload: { messageId: original.id, change }, dedupKey: key, maxAttempts: deps.config.OUTBOX_MAX_ATTEMPTS },
      now,
    );
    result.noted++;
  }
  return result;
}

function changeNote(change: OperatorChange, provider: string, body: string | null): string {
  const quoted = body ? ` "${body.slice(0, 100)}${body.length > 100 ? "…" : ""}"` : "";
  return change === "edit"
    ? `⚠️ chatbridge: the client still sees the original message${quoted}: ${provider} cannot edit a message already sent. Send the correction as a new message.`
    : `⚠️ chatbridge: the message${quoted} stays with the client: ${provider} cannot delete a message already sent.`;
}

/** Posts the note into the client's chat, on the client's side as failure notes are (report-status.ts). */
async function noteChange(deps: Bitrix24Deps, messageId: string, change: OperatorChange): Promise<void> {
  const ctx = await loadOpenLineContext(deps, messageId);
  if (!ctx) return;
  await sendToOpenLine(deps.db, ctx.client, ctx.target, ctx.conversation, {
    id: `${ctx.message.id}:${change}:${ctx.target.now.getTime()}`,
    date: ctx.target.now,
    text: changeNote(change, providerOf(ctx.channel).title, ctx.message.body),
  });
}

export function registerOperatorChangeJob(registry: JobRegistry, deps: Bitrix24Deps): void {
  registry.register(OPERATOR_CHANGE_JOB, {
    schema: payloadSchema,
    handle: ({ messageId, change }) => noteChange(deps, messageId, change),
  });
}
