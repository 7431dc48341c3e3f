import { z } from "zod";
import { failureAdvice, failureText, languageOfDomain, type NoteLanguage } from "../../../core/failure-texts.js";
import { TEMPLATE_LIST_CODE } from "../../../core/messages/template-command-send.js";
import { listChannelTemplates, SENDABLE_STATUS } from "../../../core/templates.js";
import { failureOf } from "../../../core/webhook-send.js";
import type { ReportedStatus } from "../../dispatch.js";
import type { AmoCrmDeps } from "../deps.js";
import type { MessageRow } from "../message.js";
import { loadAmojoContext } from "./message-context.js";

/** 2.8 status codes; "sent" is set by amoCRM itself when the hook was answered. */
const STATUS_CODE: Record<Exclude<ReportedStatus, "sent">, number> = { delivered: 1, read: 2, failed: -1 };

/**
 * 2.8: 904 "cannot create conversation (e.g. number not on WhatsApp)", 905 "other: pass `error`
 * text". Every provider's "no such account" lands here: no_messenger (Wappi "not registered",
 * Green-API noAccount, Devino 2305, Cloud API 131026), a bad number, or a chat the bot never had.
 */
const NO_CONVERSATION_CODES: ReadonlySet<string> = new Set(["no_messenger", "bad_number", "invalid_recipient"]);

/** The body of a delivery status (2.8); the failure text is in the account's language. */
export function deliveryStatusBody(
  message: MessageRow,
  amojoMessageId: string,
  status: Exclude<ReportedStatus, "sent">,
  lang: NoteLanguage = "en",
  /** the channel's approved template names, shown when a template is the way out */
  templates: string[] = [],
) {
  const code = STATUS_CODE[status];
  // 2.8 [U]: the docs' table says `status_code`, their PHP sample and an OSS client `delivery_status`
  // (with `msgid`): both are sent, which the sheet calls the defensive body.
  const body: Record<string, unknown> = { msgid: amojoMessageId, status_code: code, delivery_status: code };
  if (status === "failed") {
    const noConversation = NO_CONVERSATION_CODES.has(message.errorCode ?? "");
    body.error_code = noConversation ? 904 : 905;
    // shown to the manager under the message: the fixed public texts, never the provider's raw answer
    const code = message.errorCode ?? "";
    const reason = failureOf({ ...message, status: "failed" }, lang)?.message ?? failureText("send_failed", lang);
    const list = `${lang === "ru" ? "Шаблоны" : "Templates"}: ${templates.length ? templates.join(", ") : "—"}. ${failureAdvice("template_required", lang)}`;
    if (code === TEMPLATE_LIST_CODE) body.error = list;
    else body.error = code.startsWith("template_") ? `${reason}. ${list}` : reason;
  }
  return body;
}

async function approvedTemplateNames(deps: AmoCrmDeps, message: MessageRow): Promise<string[]> {
  if (!(message.errorCode ?? "").startsWith("template_")) return [];
  const rows = await listChannelTemplates(deps.db, message.channelId);
  return [...new Set(rows.filter((r) => r.status === SENDABLE_STATUS).map((r) => r.name))].slice(0, 30);
}

/**
 * `crm.report_status` for a manager's amojo message: `POST .../{scope_id}/{amojo msgid}/delivery_status`
 * (2.8) with delivered 1, read 2, failed -1 (904 for a number without the messenger, else 905
 * and a short human reason). A 404 (amojo no longer knows the message) is permanent, like every
 * 4xx of the client.
 */
export async function reportAmojoStatus(deps: AmoCrmDeps, message: MessageRow, status: ReportedStatus): Promise<void> {
  if (status === "sent") return;
  if (!message.crmMessageId) {
    deps.logger.info("amocrm: amojo message without amojo id, status not reported", { message: message.id });
    return;
  }
  const ctx = await loadAmojoContext(deps, message.id, "status report");
  if (!ctx) return;
  const path = `/v2/origin/custom/${encodeURIComponent(ctx.binding.lineId)}/${encodeURIComponent(message.crmMessageId)}/delivery_status`;
  await ctx.account.client.call("POST", path, deliveryStatusBody(ctx.message, message.crmMessageId, status, languageOfDomain(ctx.account.portal.domain), await approvedTemplateNames(deps, ctx.message)), z.unknown());
}
