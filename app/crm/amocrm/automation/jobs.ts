import type { JobRegistry } from "../../../core/outbox/registry.js";
import type { AmoCrmDeps } from "../deps.js";
import { registerDpSendJob } from "./dp-send.js";
import { registerSalesbotContinueJob } from "./salesbot-continue.js";
import { registerSalesbotResolveJob } from "./salesbot-step.js";

/**
 * Job kinds of the Salesbot step (recipient lookup, bot continuation: reference/amocrm.md 4.2)
 * and the Digital Pipeline action (lookup + send, 4.1); message statuses of both come through
 * `crm.report_status` (report-result.ts).
 */
export function registerAmoAutomationJobs(registry: JobRegistry, deps: AmoCrmDeps): void {
  registerSalesbotResolveJob(registry, deps);
  registerSalesbotContinueJob(registry, deps);
  registerDpSendJob(registry, deps);
}
