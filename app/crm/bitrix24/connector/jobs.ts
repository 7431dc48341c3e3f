import type { JobRegistry } from "../../../core/outbox/registry.js";
import type { AppDeps } from "../../../deps.js";
import { registerAutomationJobs } from "../automation/jobs.js";
import type { Bitrix24Deps } from "../oauth.js";
import { registerDeliverIncomingJob } from "./deliver-incoming.js";
import { registerMirrorOutgoingJob } from "./mirror-outgoing.js";
import { registerConnectorJob } from "./registration.js";
import { registerReportStatusJob } from "./report-status.js";

/**
 * The Open Lines connector's job kinds. `crm.deliver_incoming`, `crm.report_status` and
 * `crm.mirror_outgoing` are written by core without naming a CRM; only Bitrix24 handles them
 * so far (each handler skips messages that are not its own).
 */
export function registerBitrix24ConnectorJobs(registry: JobRegistry, deps: Bitrix24Deps & Pick<AppDeps, "files">): void {
  registerConnectorJob(registry, deps);
  registerDeliverIncomingJob(registry, deps);
  registerReportStatusJob(registry, deps);
  registerMirrorOutgoingJob(registry, deps);
  registerAutomationJobs(registry, deps);
}
