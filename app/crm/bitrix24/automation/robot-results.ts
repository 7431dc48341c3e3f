import type { Message } from "../../../core/messages/status.js";

/** One recipient of a run as the process reads it (5.3 RETURN_VALUES, robot-properties.ts messageReturns). */
export interface RecipientResult {
  /** as the process gave it; "" when the run was refused before any recipient was read */
  recipient: string;
  /** queued (no verdict when the reply went), sent, delivered, read or failed */
  status: string;
  messageId: string;
  error: string;
  /** the fallback channel that sent it while the robot's channel could not (core/failover.ts) */
  sentVia?: string;
}

const DONE: ReadonlySet<string> = new Set(["sent", "delivered", "read"]);

/** A recipient refused before a message existed. */
export function refusedResult(recipient: string, error: string): RecipientResult {
  return { recipient, status: "failed", messageId: "", error };
}

/** A recipient's message as it stands; a message still queued has no error yet. */
export function messageResult(recipient: string, message: Pick<Message, "id" | "status" | "errorMessage" | "errorCode">, sentVia?: string): RecipientResult {
  const error = message.status === "failed" ? (message.errorMessage ?? message.errorCode ?? "delivery failed") : "";
  return { recipient, status: message.status, messageId: message.id, error, ...(sentVia ? { sentVia } : {}) };
}

/** `79115576366: sent 6f1e…`, `@ivan: failed: …`: one line per recipient, easy to show or search in a process. */
function line(r: RecipientResult): string {
  const head = r.recipient === "" ? r.status : `${r.recipient}: ${r.status}`;
  return `${head}${r.messageId ? ` ${r.messageId}` : ""}${r.sentVia ? ` via ${r.sentVia}` : ""}${r.error ? `: ${r.error}` : ""}`;
}

/**
 * RETURN_VALUES (5.3; keys = the RETURN_PROPERTIES registered) and the BP log line of a run.
 * message_id / status / error are the first recipient's, as robots with one phone had them.
 */
export function runReturnValues(results: readonly RecipientResult[]): { values: Record<string, string>; log: string } {
  const first = results[0] ?? refusedResult("", "no recipient");
  const sent = results.filter((r) => DONE.has(r.status)).length;
  const failed = results.filter((r) => r.status === "failed").length;
  const waiting = results.length - sent - failed;
  const values = {
    message_id: first.messageId,
    status: first.status,
    error: first.error,
    results: results.map(line).join("\n"),
    sent_count: String(sent),
    failed_count: String(failed),
  };
  let log: string;
  if (results.length === 1) {
    const via = first.sentVia ? ` via ${first.sentVia}` : "";
    log = first.status === "failed" ? `chatbridge: message not sent: ${first.error}` : `chatbridge: message ${first.status}${via}`;
  } else {
    log = `chatbridge: ${sent} of ${results.length} messages sent${failed ? `, ${failed} not sent` : ""}${waiting ? `, ${waiting} without an answer yet` : ""}`;
  }
  return { values, log };
}
