import { registerMaintenance } from "./core/maintenance.js";
import { registerLateStatusJob } from "./core/messages/record-status.js";
import { registerSendJob } from "./core/messages/send-job.js";
import { registerPolling } from "./core/polling.js";
import { amocrmCrmHandlers, registerAmoCrmJobs } from "./crm/amocrm/jobs.js";
import { bitrix24PortalHandlers } from "./crm/bitrix24/automation/refresh.js";
import { bitrix24CrmHandlers, registerBitrix24ConnectorJobs } from "./crm/bitrix24/connector/jobs.js";
import { registerCrmDispatch, registerPortalDispatch } from "./crm/dispatch.js";
import { JobRegistry } from "./core/outbox/registry.js";
import type { AppDeps } from "./deps.js";

/**
 * What job handlers may use. The waker is left out: handlers run inside the processor it
 * wakes (Node pump, Workers queue/cron), which looks for more work when a job finishes.
 */
export type JobDeps = Omit<AppDeps, "queue">;

/** Every job kind the app runs, registered in one place for the Node pump and the Workers handlers. */
export function buildRegistry(deps: JobDeps): JobRegistry {
  const registry = new JobRegistry();
  registerMaintenance(registry, deps);
  registerSendJob(registry, deps);
  registerLateStatusJob(registry, deps);
  registerPolling(registry, deps);
  registerBitrix24ConnectorJobs(registry, deps);
  registerAmoCrmJobs(registry, deps);
  registerCrmDispatch(registry, deps, { bitrix24: bitrix24CrmHandlers(deps), amocrm: amocrmCrmHandlers(deps) });
  registerPortalDispatch(registry, deps, { bitrix24: bitrix24PortalHandlers(deps) });
  return registry;
}
