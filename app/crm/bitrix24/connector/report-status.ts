import { eq } from "drizzle-orm";
import { z } from "zod";
import { failureAdvice, languageOfDomain, type NoteLanguage } from "../../../core/failure-texts.js";
import type { Message } from "../../../core/messages/status.js";
import { PermanentError } from "../../../core/outbox/types.js";
import { describeTemplates } from "../../../core/templates.js";
import { failureOf } from "../../../core/webhook-send.js";
import { TEMPLATE_LIST_CODE } from "../../../core/messages/template-command-send.js";
import type { ReportedStatus } from "../../dispatch.js";
import { messages } from "../../../db/schema.js";
import { queueRobotStatusReply } from "../automation/robot-reply.js";
import { reportSmsStatus } from "../automation/sms-status.js";
import type { BracketInput } from "../bracket-form.js";
import { Bitrix24Error } from "../errors.js";
import type { Bitrix24Deps } from "../oauth.js";
import { sendToOpenLine } from "./client-message.js";
import { CONNECTOR_ID } from "./connector-id.js";
import { loadOpenLineContext, type OpenLineContext } from "./message-context.js";


/** 3.8: `{"SUCCESS":true,"DATA":[]}`. */
const ackAnswerSchema = z.looseObject({ SUCCESS: z.unknown().optional() });

/**
 * `message.id` is an array of our ids even for one (3.8): the provider's id once it has one,
 * else ours. `im.*` come from the operator event, `chat.id` is the id we gave the chat.
 */
function ackItem(ctx: OpenLineContext, crmMessageId: string, chatId: string, date?: Date): BracketInput {
  const { message, conversation } = ctx;
  return {
    im: { chat_id: chatId, message_id: crmMessageId },
    message: { id: [message.providerMessageId ?? message.id], date: date ? Math.floor(date.getTime() / 1000) : undefined },
    chat: { id: conversation.id },
  };
}

async function acknowledge(ctx: OpenLineContext, method: string, item: BracketInput): Promise<void> {
  const answer = await ctx.client.call(method, { CONNECTOR: CONNECTOR_ID, LINE: Number(ctx.binding.lineId), MESSAGES: [item] }, ackAnswerSchema);
  if (answer.SUCCESS === false) throw new Bitrix24Error("ack_rejected", `${method} answered SUCCESS=false`);
}

/**
 * The sheet names no method for a system note in an Open Lines chat, so a failed send is shown
 * as a connector message, marked with a warning sign (posted on the client's side of the chat,
 * which 3.7 says never comes back to us as an operator event). The reason is the fixed public
 * text in the portal's language, with what the operator can do where there is something; the
 * provider's own answer (hosts, ids) stays with the admin in the settings page.
 */
export function failureNote(message: Message, lang: NoteLanguage): string {
  const failure = failureOf({ ...message, status: "failed" }, lang)!;
  const advice = failureAdvice(failure.code, lang);
  const body = message.body ?? "";
  const quoted = body ? ` "${body.slice(0, 100)}${body.length > 100 ? "…" : ""}"` : message.file ? (lang === "ru" ? " (файл)" : " (file)") : "";
  const head = lang === "ru" ? `⚠️ chatbridge: сообщение оператора${quoted} не доставлено клиенту` : `⚠️ chatbridge: the operator's message${quoted} was not delivered to the client`;
  return `${head}: ${failure.message}.${advice ? ` ${advice}` : ""}`;
}

/**
 * The note for a refused or failed operator message; where a template is the way out (closed
 * window, wrong template, the `/template` list request) the channel's approved templates follow,
 * so the operator can pick one without leaving the chat.
 */
async function failureNoteWithTemplates(deps: Bitrix24Deps, message: Message, lang: NoteLanguage): Promise<string> {
  const code = message.errorCode ?? "";
  const listed = code === TEMPLATE_LIST_CODE || code === "template_required" || code === "template_invalid" ? await describeTemplates(deps.db, message.channelId) : "";
  const none = lang === "ru" ? "У номера нет одобренных шаблонов WhatsApp." : "The number has no approved WhatsApp templates.";
  const list = `${lang === "ru" ? "Шаблоны" : "Templates"}:\n${listed || none}`;
  if (code === TEMPLATE_LIST_CODE) return `ℹ️ chatbridge: ${list}\n${failureAdvice("template_required", lang)}`;
  const reason = code === "template_invalid" && message.errorMessage ? `\n${message.errorMessage}` : "";
  const note = failureNote(message, lang) + reason;
  return listed || code.startsWith("template_") ? `${note}\n${list}` : note;
}

/**
 * `crm.report_status` for operator messages (origin "openlines"): sent and delivered ->
 * `imconnector.send.status.delivery`, read -> `imconnector.send.status.reading` (same shape
 * without `date`; a server-side stub per the docs, 3.8), failed -> a visible note in the chat.
 */
export async function reportOpenLinesStatus(deps: Bitrix24Deps, messageId: string, status: ReportedStatus): Promise<void> {
  const ctx = await loadOpenLineContext(deps, messageId);
  if (!ctx) return;
  const { message, conversation } = ctx;
  if (message.origin !== "openlines" || !message.crmMessageId) {
    deps.logger.info("bitrix24: status of a message that did not come from open lines not reported", { message: message.id, origin: message.origin });
    return;
  }
  if (status === "failed") {
    const lang = languageOfDomain(ctx.portal.domain);
    await sendToOpenLine(deps.db, ctx.client, ctx.target, conversation, { id: `${message.id}:failed`, date: ctx.target.now, text: await failureNoteWithTemplates(deps, message, lang) });
    return;
  }
  const chatId = conversation.crmChatId;
  if (!chatId) throw new PermanentError(`conversation ${conversation.id} has no Bitrix IM chat id to acknowledge in`, "no_crm_chat");
  if (status === "read") {
    await acknowledge(ctx, "imconnector.send.status.reading", ackItem(ctx, message.crmMessageId, chatId));
  } else {
    await acknowledge(ctx, "imconnector.send.status.delivery", ackItem(ctx, message.crmMessageId, chatId, ctx.target.now));
  }
}

/**
 * One handler for `crm.report_status`, dispatched by where the message came from: Open Lines
 * (3.8, above), a robot run (one `bizproc.event.send` per run, 5.3) or the SMS sender
 * (`messageservice.message.status.update`, 6).
 */
export async function reportStatus(deps: Bitrix24Deps, messageId: string, status: ReportedStatus): Promise<void> {
  const [message] = await deps.db.select().from(messages).where(eq(messages.id, messageId));
  if (!message) throw new PermanentError(`message ${messageId} no longer exists`, "message_removed");
  if (message.origin === "robot") return queueRobotStatusReply(deps, message);
  if (message.origin === "sms") return reportSmsStatus(deps, message, status);
  return reportOpenLinesStatus(deps, messageId, status);
}
