import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../../../core/errors.js";
import { timingSafeEqual } from "../../../core/tokens.js";
import type { AppDeps, AppEnv } from "../../../deps.js";
import { type AmoPortalRow, findAmoAccount } from "../portal.js";
import { readDpSecret } from "./dp-secret.js";
import { enqueueDpSend } from "./dp-send.js";
import { automationBodyLimit, readAutomationBody } from "./request-body.js";
import { prepareSend, settingList, settingText } from "./send-settings.js";

const ACCOUNT_ID = /^[1-9]\d{0,15}$/;
const id = z.union([z.number().int().nonnegative().transform(String), z.string().regex(/^\d{1,16}$/)]);

/** 4.1: the event and the action's settings (manifest `dp.settings`); a form post carries every value as a string. */
const dpBodySchema = z.looseObject({
  account_id: id,
  event: z.looseObject({
    type: z.coerce.number().int().optional(),
    type_code: z.string().optional(),
    data: z.looseObject({ id, element_type: z.coerce.number().int(), status_id: id.optional(), pipeline_id: id.optional() }),
    time: id,
  }),
  action: z.looseObject({
    settings: z.looseObject({
      widget: z.looseObject({
        settings: z.looseObject({ channel: settingText, text: settingText, file_url: settingText, template: settingText, params: settingList, header_url: settingText }),
      }),
    }),
  }),
});

const refused = () => new AppError("unauthorized", "The Digital Pipeline call is not signed for this account: save the action's settings in amoCRM again");

function at(value: unknown, ...path: string[]): unknown {
  let node = value;
  for (const key of path) {
    if (typeof node !== "object" || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * Who is calling. amoCRM documents no signature on the DP hook (4.1, unverified), so the only
 * proof is the action's hidden `secret` setting (put there by the widget's dpSettings from
 * GET /api/amocrm/dp-secret), which must equal the account's DP secret. A JWT is not taken
 * instead: every user of the account holds a valid widget token (4.3), and a token amoCRM
 * never documents for this hook would let any of them send. Only account_id and that one
 * setting are read before this.
 */
async function callingAccount(deps: AppDeps, body: Record<string, unknown>): Promise<AmoPortalRow> {
  const accountId = String(at(body, "account_id") ?? "");
  if (!ACCOUNT_ID.test(accountId)) throw refused();
  const portal = await findAmoAccount(deps.db, accountId);
  if (!portal || portal.status !== "active") throw refused();
  const secret = await readDpSecret(deps, portal);
  const given = at(body, "action", "settings", "widget", "settings", "secret");
  if (!secret || typeof given !== "string" || !timingSafeEqual(given, secret)) throw refused();
  return portal;
}

/**
 * POST /amocrm/dp: the widget's Digital Pipeline action (reference/amocrm.md 4.1), fired when
 * a lead reaches the stage the action is on. Authenticated first (callingAccount); a lead event
 * becomes an `amocrm.dp_send` job that finds the lead's main contact's phone and sends, and
 * amoCRM is answered at once (the hook is sent once, no retries). The job's key is the event
 * (account, lead, time, stage), so the same event posted twice sends once. Customer events
 * (element_type 12) are acknowledged and not acted on.
 */
export const dpRoute = new Hono<AppEnv>().post("/amocrm/dp", automationBodyLimit, async (c) => {
  const deps = c.var.deps;
  const body = await readAutomationBody(c);
  const portal = await callingAccount(deps, body);
  const parsed = dpBodySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AppError("invalid_body", `${issue.path.join(".") || "body"}: ${issue.message}`);
  }
  const { event, action } = parsed.data;
  if (event.data.element_type !== 2) {
    deps.logger.info("amocrm: DP event on a non-lead ignored", { account_id: portal.externalId, element_type: event.data.element_type });
    return c.json({ ok: true as const, ignored: "only leads (element_type 2) are handled" });
  }
  const prepared = await prepareSend(deps, portal.id, action.settings.widget.settings);
  if (!prepared.ok) {
    deps.logger.warn("amocrm: DP action refused", { account_id: portal.externalId, lead: event.data.id, reason: prepared.error });
    throw new AppError(prepared.code ?? "invalid_parameter", prepared.error);
  }
  const dedupKey = `dp:${portal.externalId}:${event.data.id}:${event.time}:${event.data.status_id ?? ""}`;
  const { jobId, created } = await enqueueDpSend(
    deps.db,
    { portalId: portal.id, leadId: event.data.id, channelId: prepared.channel.id, content: prepared.content, ...(prepared.template ? { template: prepared.template } : {}), dedupKey },
    deps.clock.now(),
    deps.config.OUTBOX_MAX_ATTEMPTS,
  );
  if (created) await deps.queue.wake([jobId]);
  return c.json({ ok: true as const, duplicate: !created });
});
