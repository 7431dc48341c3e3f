import type { JobRegistry } from "../../../core/outbox/registry.js";
import type { Bitrix24Deps } from "../oauth.js";
import { registerRobotReplyJob } from "./robot-reply.js";
import { registerSmsRefusedJob } from "./sms-status.js";

/** Job kinds of the robot (5.3) and SMS sender (6); their message statuses come through `crm.report_status`. */
export function registerAutomationJobs(registry: JobRegistry, deps: Bitrix24Deps): void {
  registerRobotReplyJob(registry, deps);
  registerSmsRefusedJob(registry, deps);
}
