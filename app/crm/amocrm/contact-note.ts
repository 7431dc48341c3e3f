// SCAFFOLD: replaced by its owner (helper) during this session.
import type { JobRegistry } from "../../core/outbox/registry.js";
import type { AmoCrmDeps } from "./deps.js";


export function registerContactNoteJob(_registry: JobRegistry, _deps: AmoCrmDeps): void {}
