// SCAFFOLD: replaced by its owner (helper) during this session.
import { PermanentError } from "../../../core/outbox/types.js";
import type { ReportedStatus } from "../../dispatch.js";
import type { AmoCrmDeps } from "../deps.js";
import type { MessageRow } from "../message.js";

export async function reportAutomationResult(_deps: AmoCrmDeps, message: MessageRow, status: ReportedStatus): Promise<void> {
  throw new PermanentError(`automation result ${status} of ${message.id} not built yet`, "not_built");
}
