import { z } from "zod";
import { type Channel, findChannel, providerContext, providerOf } from "../../../core/channels.js";
import { AppError } from "../../../core/errors.js";
import { enqueueJob } from "../../../core/outbox/enqueue.js";
import type { JobRegistry } from "../../../core/outbox/registry.js";
import { RetryableError } from "../../../core/outbox/types.js";
import { parsePhone } from "../../../core/phone.js";
import { portalRegion } from "../../../core/portal-region.js";
import { assertChannelCanSend } from "../../../core/webhook-send.js";
import type { AppDeps } from "../../../deps.js";
import { ProviderPermanentError, ProviderRetryableError } from "../../../providers/types.js";
import type { BracketObject } from "../bracket-form.js";
import { Bitrix24Error } from "../errors.js";
import type { Bitrix24Deps } from "../oauth.js";
import { findPortalById, type PortalRow } from "../portal-auth.js";
import { chooseChannel } from "./channel-choice.js";
import { sendBizprocEvent } from "./robot-reply.js";

export const CHECK_PHONE_JOB = "b24.check_phone";

/** 5.2: `properties[...]` of the check-phone robot, as registered (robot-definitions.ts). */
const checkPropertiesSchema = z.object({
  properties: z.object({ channel: z.string().optional(), phone: z.string({ error: "phone is required" }) }).loose(),
});

/** Either a number to ask the channel's provider about, or why the run cannot be checked. */
const checkPayloadSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("check"), portalId: z.uuid(), eventToken: z.string().min(1), channelId: z.uuid(), phone: z.string().regex(/^\d{6,15}$/) }),
  z.object({ kind: z.literal("refused"), portalId: z.uuid(), eventToken: z.string().min(1), error: z.string() }),
]);
type CheckPayload = z.output<typeof checkPayloadSchema>;

/** 5.3: the RETURN_PROPERTIES of the check-phone robot; `exists` is a `bool`, sent as Y/N (5.2). */
type CheckAnswer = { exists: boolean; error: "" } | { exists: false; error: string };

/**
 * A check-phone run (5.2): the number and channel are read here, the provider is asked in a
 * job, so the handler answers at once (5.2: "answer 200 quickly; do work async"). The job's
 * dedup key is the run's event token: Bitrix24 repeating the call checks and answers once.
 */
export async function acceptCheckPhoneRun(deps: Pick<AppDeps, "db" | "clock" | "config" | "queue" | "logger">, portal: PortalRow, form: BracketObject, eventToken: string): Promise<{ ok: true; error?: string }> {
  const payload = await readCheckRequest(deps, portal, form, eventToken);
  const { job } = await enqueueJob(
    deps.db,
    { kind: CHECK_PHONE_JOB, payload, dedupKey: `${CHECK_PHONE_JOB}:${portal.externalId}:${eventToken}`, maxAttempts: deps.config.OUTBOX_MAX_ATTEMPTS },
    deps.clock.now(),
  );
  await deps.queue.wake([job.id]);
  if (payload.kind === "check") return { ok: true };
  deps.logger.warn("bitrix24: check-phone run refused", { member_id: portal.externalId, reason: payload.error });
  return { ok: true, error: payload.error };
}

async function readCheckRequest(deps: Pick<AppDeps, "db">, portal: PortalRow, form: BracketObject, eventToken: string): Promise<CheckPayload> {
  const base = { portalId: portal.id, eventToken };
  const parsed = checkPropertiesSchema.safeParse(form);
  if (!parsed.success) return { ...base, kind: "refused", error: parsed.error.issues[0]?.message ?? "invalid properties" };
  const phone = parsePhone(parsed.data.properties.phone, portalRegion(portal));
  if (!phone.ok) return { ...base, kind: "refused", error: `phone: ${phone.reason}` };
  const choice = await chooseChannel(deps.db, portal, parsed.data.properties.channel);
  if (!choice.ok) return { ...base, kind: "refused", error: choice.error };
  return { ...base, kind: "check", channelId: choice.channel.id, phone: phone.phone };
}

/**
 * Asks the channel's provider. What the provider cannot do, or refuses, is an answer with an
 * error value, not a failed job: the process gets it at once instead of waiting out its timeout.
 * A provider that is only busy is asked again while attempts remain.
 */
async function askProvider(deps: Bitrix24Deps, channel: Channel, phone: string, lastAttempt: boolean): Promise<CheckAnswer> {
  const provider = providerOf(channel);
  if (!provider.capabilities.checkPhone) return { exists: false, error: `${provider.title} cannot check whether a number has the messenger` };
  try {
    assertChannelCanSend(channel);
    const { exists } = await provider.checkPhone(await providerContext(deps, channel), phone);
    return { exists, error: "" };
  } catch (err) {
    if (err instanceof AppError) return { exists: false, error: err.message };
    if (err instanceof ProviderPermanentError) return { exists: false, error: `the provider could not check the number (${err.code}): ${err.message}`.slice(0, 300) };
    if (err instanceof ProviderRetryableError) {
      if (!lastAttempt) throw new RetryableError(`check-phone: ${err.message}`, err.delayMs);
      return { exists: false, error: "the provider could not check the number right now" };
    }
    throw err;
  }
}

async function answerCheck(deps: Bitrix24Deps, payload: CheckPayload, lastAttempt: boolean): Promise<void> {
  const portal = await findPortalById(deps.db, payload.portalId);
  if (!portal) throw new Bitrix24Error("portal_unknown", `portal ${payload.portalId} no longer exists`);
  let answer: CheckAnswer;
  if (payload.kind === "refused") {
    answer = { exists: false, error: payload.error };
  } else {
    const channel = await findChannel(deps.db, payload.channelId);
    answer = channel && channel.portalId === portal.id ? await askProvider(deps, channel, payload.phone, lastAttempt) : { exists: false, error: "the channel was removed" };
  }
  const log = answer.error !== "" ? `chatbridge: number not checked: ${answer.error}` : `chatbridge: number ${answer.exists ? "has" : "does not have"} the messenger`;
  await sendBizprocEvent(deps, portal.externalId, payload.eventToken, { exists: answer.exists ? "Y" : "N", error: answer.error }, log);
  deps.logger.info("bitrix24: check-phone robot answered", { member_id: portal.externalId, exists: answer.exists, failed: answer.error !== "" });
}

export function registerCheckPhoneJob(registry: JobRegistry, deps: Bitrix24Deps): void {
  registry.register(CHECK_PHONE_JOB, {
    schema: checkPayloadSchema,
    handle: (payload, ctx) => answerCheck(deps, payload, ctx.job.attempts >= ctx.job.maxAttempts),
  });
}
