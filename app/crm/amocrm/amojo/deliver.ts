// SCAFFOLD: replaced by its owner (helper) during this session.
import { PermanentError } from "../../../core/outbox/types.js";
import type { AmoCrmDeps } from "../deps.js";

export async function deliverToAmojo(_deps: AmoCrmDeps, messageId: string): Promise<void> {
  throw new PermanentError(`amojo delivery of ${messageId} not built yet`, "not_built");
}
export async function mirrorToAmojo(_deps: AmoCrmDeps, messageId: string): Promise<void> {
  throw new PermanentError(`amojo mirror of ${messageId} not built yet`, "not_built");
}
