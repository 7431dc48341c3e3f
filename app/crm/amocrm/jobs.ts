import type { JobRegistry } from "../../core/outbox/registry.js";
import type { CrmJobHandlers } from "../dispatch.js";
import { deliverToAmojo, mirrorToAmojo } from "./amojo/deliver.js";
import { registerAmojoJobs } from "./amojo/jobs.js";
import { reportAmojoStatus } from "./amojo/report-status.js";
import { registerAmoAutomationJobs } from "./automation/jobs.js";
import { reportAutomationResult } from "./automation/report-result.js";
import { noteFailover, registerContactNoteJob } from "./contact-note.js";
import type { AmoCrmDeps } from "./deps.js";
import { registerDisconnectRecheckJob } from "./disconnect.js";
import { findMessage } from "./message.js";

/** amoCRM's own job kinds: amojo connect/reconnect, Salesbot/DP continuation, contact notes, disconnect re-checks. */
export function registerAmoCrmJobs(registry: JobRegistry, deps: AmoCrmDeps): void {
  registerAmojoJobs(registry, deps);
  registerAmoAutomationJobs(registry, deps);
  registerContactNoteJob(registry, deps);
  registerDisconnectRecheckJob(registry, deps);
}

/**
 * amoCRM's part of the CRM-neutral jobs (crm/dispatch.ts). Statuses go back where the message
 * came from: a manager's amojo message gets delivery_status, a Salesbot / Digital Pipeline send
 * continues its bot or records its result.
 */
export function amocrmCrmHandlers(deps: AmoCrmDeps): CrmJobHandlers {
  return {
    deliverIncoming: (messageId) => deliverToAmojo(deps, messageId),
    mirrorOutgoing: (messageId) => mirrorToAmojo(deps, messageId),
    failoverNote: (messageId, reason) => noteFailover(deps, messageId, reason),
    async reportStatus(messageId, status) {
      const message = await findMessage(deps.db, messageId);
      if (!message) return;
      if (message.origin === "amojo") return reportAmojoStatus(deps, message, status);
      if (message.origin === "salesbot" || message.origin === "dp") return reportAutomationResult(deps, message, status);
      deps.logger.info("amocrm: status of a message that did not come from amoCRM not reported", { message: messageId, origin: message.origin });
    },
  };
}
