import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../../../core/errors.js";
import type { AppEnv } from "../../../deps.js";
import { verifyBotToken } from "../jwt.js";
import { type AmoPortalRow, amoSettingsOf } from "../portal.js";
import { automationBodyLimit, readAutomationBody } from "./request-body.js";
import { acceptSalesbotStep } from "./salesbot-step.js";
import { settingList, settingText } from "./send-settings.js";

/**
 * 4.2 step 2: `{token, data, return_url}`; `data` is what script.js's `widget_request` params put
 * there. Placeholders arrive substituted; a number-typed setting or `{{lead.id}}` may come as a
 * JSON number.
 */
const salesbotBodySchema = z.looseObject({
  token: z.string(),
  data: z
    .looseObject({
      channel: settingText,
      text: settingText,
      file_url: settingText,
      phone: settingText,
      lead: settingText,
      customer: settingText,
      template: settingText,
      params: settingList,
      header_url: settingText,
    })
    .optional(),
  return_url: z.string({ error: "return_url is required" }).min(1).max(2000),
});

/** 4.2 step 4: `https://{account}/api/v4/{salesbot|marketingbot}/{bot_id}/continue/{continue_id}`. */
const CONTINUE_PATH = /^\/api\/v4\/(salesbot|marketingbot)\/[A-Za-z0-9_-]{1,64}\/continue\/[A-Za-z0-9_-]{1,64}$/;

/**
 * The return_url, if it is the continue address of this very account: the account's token is
 * sent there, so a bot token of one account cannot make us post anything anywhere else.
 */
export function accountReturnUrl(raw: string, portal: AmoPortalRow): string | undefined {
  let url: URL;
  let base: URL;
  try {
    url = new URL(raw);
    base = new URL(amoSettingsOf(portal).baseUrl);
  } catch {
    return undefined;
  }
  const ownHost = url.host === portal.domain.toLowerCase() && url.origin === base.origin;
  if (!ownHost || url.username || url.password || url.search || url.hash || !CONTINUE_PATH.test(url.pathname)) return undefined;
  return url.href;
}

/**
 * POST /amocrm/salesbot: the Salesbot `widget_request` of the widget's "send message" step
 * (reference/amocrm.md 4.2). The bot token is verified before anything else is read; then the
 * return_url must be the account's own continue address. The send is queued (or its recipient
 * looked up in a job) and amoCRM answered at once (6.2 pitfall 13: within 2 s); the bot is
 * continued with the provider's verdict by `amocrm.salesbot_continue` (report-result.ts). A
 * step that cannot be done is answered 400 and continued with "fail", so the bot goes on to its
 * fail exit instead of waiting.
 */
export const salesbotRoute = new Hono<AppEnv>().post("/amocrm/salesbot", automationBodyLimit, async (c) => {
  const deps = c.var.deps;
  const body = await readAutomationBody(c);
  const bot = await verifyBotToken(deps, typeof body.token === "string" ? body.token : "");
  const parsed = salesbotBodySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AppError("invalid_body", `${issue.path.join(".") || "body"}: ${issue.message}`);
  }
  const returnUrl = accountReturnUrl(parsed.data.return_url, bot.portal);
  if (!returnUrl) throw new AppError("invalid_parameter", "return_url is not a Salesbot continue address of this account", { field: "return_url" });
  const outcome = await acceptSalesbotStep(deps, bot, parsed.data.data ?? {}, returnUrl);
  if (!outcome.ok) throw new AppError(outcome.code ?? "invalid_parameter", outcome.error);
  return c.json({
    ok: true as const,
    ...(outcome.messageId ? { message_id: outcome.messageId, duplicate: outcome.duplicate ?? false } : {}),
    ...(outcome.resolving ? { resolving: true } : {}),
  });
});
