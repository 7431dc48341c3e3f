import type { ReportedStatus } from "../../dispatch.js";
import type { AmoCrmDeps } from "../deps.js";
import type { MessageRow } from "../message.js";
import { enqueueSalesbotContinue } from "./salesbot-continue.js";

/**
 * `crm.report_status` of a message a Salesbot step or a DP action sent. Salesbot: the first
 * status (the provider's verdict: sent, or failed; delivered/read when a provider skips "sent")
 * queues the step's one continuation, which reads the message when it runs; later statuses and
 * retries of this job find it already queued (dedup per return_url), so the bot is continued
 * once. DP has nothing to continue (4.1): its result is the contact note written with the message.
 */
export async function reportAutomationResult(deps: AmoCrmDeps, message: MessageRow, status: ReportedStatus): Promise<void> {
  if (message.origin !== "salesbot") {
    deps.logger.info("amocrm: DP message status recorded, nothing to continue", { message: message.id, status });
    return;
  }
  if (!message.crmMessageId) {
    deps.logger.warn("amocrm: salesbot message without its return_url, bot not continued", { message: message.id });
    return;
  }
  const { created } = await enqueueSalesbotContinue(deps.db, message.crmMessageId, { kind: "message", messageId: message.id }, deps.clock.now(), deps.config.OUTBOX_MAX_ATTEMPTS);
  if (!created) deps.logger.info("amocrm: salesbot step already continued, later status not sent", { message: message.id, status });
}
