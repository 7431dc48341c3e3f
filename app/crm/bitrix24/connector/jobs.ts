import type { JobRegistry } from "../../../core/outbox/registry.js";
import type { AppDeps } from "../../../deps.js";
import type { CrmJobHandlers } from "../../dispatch.js";
import { registerAutomationJobs } from "../automation/jobs.js";
import type { Bitrix24Deps } from "../oauth.js";
import { deliverIncoming } from "./deliver-incoming.js";
import { noteFailover } from "./failover-note.js";
import { mirrorOutgoing } from "./mirror-outgoing.js";
import { registerOperatorChangeJob } from "./operator-changes.js";
import { registerConnectorJob } from "./registration.js";
import { reportStatus } from "./report-status.js";

/** Bitrix24's own job kinds (connector registration, operator edit/delete notes, robots, SMS, timeline). */
export function registerBitrix24ConnectorJobs(registry: JobRegistry, deps: Bitrix24Deps & Pick<AppDeps, "files">): void {
  registerConnectorJob(registry, deps);
  registerOperatorChangeJob(registry, deps);
  registerAutomationJobs(registry, deps);
}

/**
 * Bitrix24's part of the CRM-neutral jobs (crm/dispatch.ts): client messages into the bound
 * Open Line, statuses to Open Lines / robots / the SMS sender, send_to_imol mirrors.
 */
export function bitrix24CrmHandlers(deps: Bitrix24Deps & Pick<AppDeps, "files">): CrmJobHandlers {
  return {
    deliverIncoming: (messageId) => deliverIncoming(deps, messageId),
    reportStatus: (messageId, status) => reportStatus(deps, messageId, status),
    mirrorOutgoing: (messageId) => mirrorOutgoing(deps, messageId),
    failoverNote: (messageId, reason) => noteFailover(deps, messageId, reason),
  };
}
