import { eq } from "drizzle-orm";
import { z } from "zod";
import { enqueueJob } from "../../../core/outbox/enqueue.js";
import type { JobRegistry } from "../../../core/outbox/registry.js";
import { PermanentError, RetryableError } from "../../../core/outbox/types.js";
import { hashToken } from "../../../core/tokens.js";
import type { Db } from "../../../db/index.js";
import { channels } from "../../../db/schema.js";
import { AmoCrmClient } from "../client.js";
import { viaChannelName } from "../../../core/failover.js";
import type { AmoCrmDeps } from "../deps.js";
import { AmoCrmError } from "../errors.js";
import { findMessage, type MessageRow } from "../message.js";

export const SALESBOT_CONTINUE_JOB = "amocrm.salesbot_continue";

/** Either the step's message (its status is read when the job runs) or a refusal before any message existed. */
const continuePayloadSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("message"), messageId: z.uuid() }),
  z.object({ kind: z.literal("refused"), portalId: z.uuid(), returnUrl: z.string().min(1), error: z.string() }),
]);
export type SalesbotContinuation = z.output<typeof continuePayloadSchema>;

/** Whatever the continue endpoint answers (4.2: 202, usually empty). */
const anyAnswer = z.unknown();

/** What the bot's later steps read as `{{json.status}}` / `{{json.message_id}}` / `{{json.error}}` (4.2). */
interface ContinueData {
  status: "success" | "fail";
  message_id: string;
  error?: string;
  /** `{{json.sent_via}}`: the fallback channel that sent it while the step's channel could not (core/failover.ts) */
  sent_via?: string;
}

/** The bot step's key: one continuation per `return_url`, whatever asks for it and however often. */
export async function returnUrlKey(returnUrl: string): Promise<string> {
  return hashToken(returnUrl);
}

/**
 * Queues the one continuation of a Salesbot step. Deduplicated by the step's `return_url`:
 * whichever comes first (a refusal, the message's first status) continues the bot, and a later
 * status, a repeated request or a retried status job finds the job already there (4.2: a step
 * can be continued once; a second call gets 404).
 */
export async function enqueueSalesbotContinue(db: Db, returnUrl: string, continuation: SalesbotContinuation, now: Date, maxAttempts: number): Promise<{ jobId: string; created: boolean }> {
  const { job, created } = await enqueueJob(
    db,
    { kind: SALESBOT_CONTINUE_JOB, payload: continuation, dedupKey: `${SALESBOT_CONTINUE_JOB}:${await returnUrlKey(returnUrl)}`, maxAttempts },
    now,
  );
  return { jobId: job.id, created };
}

/** The account a message went out for: its channel's, even when the channel was deleted since. */
async function portalIdOfMessage(db: Db, message: MessageRow): Promise<string> {
  const [row] = await db.select({ portalId: channels.portalId }).from(channels).where(eq(channels.id, message.channelId));
  if (!row?.portalId) throw new PermanentError(`the channel of message ${message.id} belongs to no account`, "no_portal");
  return row.portalId;
}

async function continueBot(deps: AmoCrmDeps, portalId: string, returnUrl: string, data: ContinueData): Promise<void> {
  try {
    // 4.2: POST {return_url} with the account's (admin-granted) token; execute_handlers empty: the bot's own steps go on
    await new AmoCrmClient(deps, portalId).request("POST", returnUrl, { data, execute_handlers: [] }, anyAnswer);
  } catch (err) {
    // 4.2 / 6.2 pitfall 13: 404 = no step waits any more (continued already, or expired): nothing left to do
    if (err instanceof AmoCrmError && err.status === 404) {
      deps.logger.info("amocrm: salesbot step no longer waits, not continued", { portal: portalId, status: data.status });
      return;
    }
    throw err;
  }
  deps.logger.info("amocrm: salesbot continued", { portal: portalId, status: data.status });
}

const errorText = (text: string) => text.slice(0, 500);

/** A status job read the row before the verdict landed (or the send waits for pacing): look again after this. */
const QUEUED_RECHECK_MS = 15_000;

async function continueForMessage(deps: AmoCrmDeps, messageId: string): Promise<void> {
  const message = await findMessage(deps.db, messageId);
  if (!message?.crmMessageId) throw new PermanentError(`salesbot message ${messageId} no longer exists`, "message_removed");
  // the job is queued on a status change, so a message still queued means a stale read: look again
  if (message.status === "queued") throw new RetryableError(`salesbot message ${messageId} is still queued`, QUEUED_RECHECK_MS);
  const portalId = await portalIdOfMessage(deps.db, message);
  const failed = message.status === "failed";
  const data: ContinueData = failed
    ? { status: "fail", message_id: message.id, error: errorText(message.errorMessage ?? message.errorCode ?? "the message could not be sent") }
    : { status: "success", message_id: message.id };
  const via = await viaChannelName(deps.db, message);
  await continueBot(deps, portalId, message.crmMessageId, via ? { ...data, sent_via: via } : data);
}

export function registerSalesbotContinueJob(registry: JobRegistry, deps: AmoCrmDeps): void {
  registry.register(SALESBOT_CONTINUE_JOB, {
    schema: continuePayloadSchema,
    handle: (c) =>
      c.kind === "message"
        ? continueForMessage(deps, c.messageId)
        : continueBot(deps, c.portalId, c.returnUrl, { status: "fail", message_id: "", error: errorText(c.error) }),
    // a bot must not wait forever: when continuing with the verdict keeps failing, a last try says "fail"
    async onDead(c, error) {
      if (c.kind !== "message") return;
      const message = await findMessage(deps.db, c.messageId);
      if (!message?.crmMessageId || message.status !== "queued") return;
      const portalId = await portalIdOfMessage(deps.db, message);
      await continueBot(deps, portalId, message.crmMessageId, { status: "fail", message_id: message.id, error: errorText(`no verdict from the messenger: ${error}`) }).catch(
        (err: unknown) => deps.logger.warn("amocrm: salesbot could not be continued", { message: message.id, error: err instanceof Error ? err.message : String(err) }),
      );
    },
  });
}
