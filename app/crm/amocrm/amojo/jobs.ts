// SCAFFOLD: replaced by its owner (helper) during this session.
import type { JobRegistry } from "../../../core/outbox/registry.js";
import type { AmoCrmDeps } from "../deps.js";

export function registerAmojoJobs(_registry: JobRegistry, _deps: AmoCrmDeps): void {}
