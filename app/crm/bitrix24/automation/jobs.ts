import type { JobRegistry } from "../../../core/outbox/registry.js";
import type { Bitrix24Deps } from "../oauth.js";
import { registerCheckPhoneJob } from "./check-phone.js";
import { registerRobotReplyJob } from "./robot-reply.js";
import { registerSmsRefusedJob } from "./sms-status.js";
import { registerTimelineJobs } from "./timeline-note.js";

/**
 * Job kinds of the robots (5.3), the SMS sender (6) and the CRM timeline notes (7); message
 * statuses of robots and SMS come through `crm.report_status`.
 */
export function registerAutomationJobs(registry: JobRegistry, deps: Bitrix24Deps): void {
  registerRobotReplyJob(registry, deps);
  registerCheckPhoneJob(registry, deps);
  registerSmsRefusedJob(registry, deps);
  registerTimelineJobs(registry, deps);
}
