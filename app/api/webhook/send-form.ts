import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../../core/errors.js";
import { type FormMessage, isTestSubmission, planFormSubmission } from "../../core/webhook-form.js";
import { failureOf, sendViaWebhook } from "../../core/webhook-send.js";
import type { WebhookCaller } from "../../core/webhook-tokens.js";
import type { AppDeps } from "../../deps.js";
import { messageAnswer } from "./answers.js";
import { WEBHOOK_ROUTE_PREFIX, type WebhookEnv, webhookAuth } from "./auth.js";
import { country, parseParams, readBody, readQuery, textParam, waitSeconds, ifCapped, yesNo } from "./params.js";
import { MAX_TEXT } from "./send-text.js";

/** A template is the text of one message with placeholders; a Telegram text is the shortest cap. */
const MAX_TEMPLATE = 4_096;

/** The configuration the builder keeps in the URL's query string; never read from the body. */
const sendFormParams = z.object({
  body: z.string().min(1, { error: "must not be empty" }).max(MAX_TEMPLATE, { error: `must be at most ${MAX_TEMPLATE} characters` }),
  to: textParam(64).optional(),
  visitor_body: z.string().max(MAX_TEMPLATE, { error: `must be at most ${MAX_TEMPLATE} characters` }).optional(),
  phone_field: textParam(100).optional(),
  request_id_field: textParam(100).optional(),
  send_to_imol: yesNo,
  country,
  wait: waitSeconds,
  if_capped: ifCapped,
});
const CONFIG_NAMES: ReadonlySet<string> = new Set(Object.keys(sendFormParams.shape));

function checkText(message: FormMessage, kind: WebhookCaller["kind"], field: string): void {
  if (message.text.trim() === "") throw new AppError("invalid_parameter", `${field}: the template gives an empty message`, { field });
  if (message.text.length > MAX_TEXT[kind]) {
    throw new AppError("invalid_parameter", `${field}: the filled template is longer than ${MAX_TEXT[kind]} characters`, { field });
  }
}

function send(deps: AppDeps, caller: WebhookCaller, message: FormMessage, sendToImol: boolean, wait: number, ifCapped: "wait" | "fail") {
  return sendViaWebhook(deps, {
    caller,
    peer: message.peer,
    content: async () => ({ type: "text", text: message.text }),
    sendToImol,
    requestId: message.requestId,
    waitSeconds: wait,
    ifCapped,
  });
}

/**
 * GET|POST /rest/webhook/<wa|tg>/<token>/sendForm: a form builder's submission as a message to
 * `to` and/or the visitor, filled from a template (core/webhook-form.ts). Query parameters
 * configure; the POST body holds the visitor's answers under the form's own names (a GET's
 * other query parameters).
 */
export const sendForm = new Hono<WebhookEnv>().on(["GET", "POST"], `${WEBHOOK_ROUTE_PREFIX}/sendForm`, webhookAuth("sendForm"), async (c) => {
  const caller = c.var.webhook;
  const query = readQuery(c);
  const config = parseParams(sendFormParams, Object.fromEntries(Object.entries(query).filter(([name]) => CONFIG_NAMES.has(name))));
  const fields = c.req.method === "POST" ? await readBody(c) : Object.fromEntries(Object.entries(query).filter(([name]) => !CONFIG_NAMES.has(name)));
  if (isTestSubmission(fields)) return c.json({ ok: true as const, test: true as const });

  const plan = planFormSubmission(
    {
      kind: caller.kind,
      body: config.body,
      to: config.to,
      visitorBody: config.visitor_body,
      phoneField: config.phone_field,
      requestIdField: config.request_id_field,
      region: config.country ?? caller.region,
    },
    fields,
  );
  checkText(plan.primary, caller.kind, "body");
  if (plan.visitor && "message" in plan.visitor) checkText(plan.visitor.message, caller.kind, "visitor_body");

  const first = await send(c.var.deps, caller, plan.primary, config.send_to_imol, config.wait, config.if_capped);
  if (failureOf(first)) return messageAnswer(c, first);

  let visitor: Record<string, unknown> = {};
  if (plan.visitor && "error" in plan.visitor) {
    visitor = { visitor_error: { error: plan.visitor.error.code, message: plan.visitor.error.message } };
  } else if (plan.visitor) {
    try {
      const second = await send(c.var.deps, caller, plan.visitor.message, config.send_to_imol, 0, config.if_capped);
      const failure = failureOf(second);
      visitor = {
        visitor_message_id: second.id,
        visitor_status: second.status,
        ...(failure ? { visitor_error: { error: failure.code, message: failure.message } } : {}),
      };
    } catch (err) {
      // the manager's message is queued: the confirmation's refusal is reported, not the whole call's
      if (!(err instanceof AppError)) throw err;
      visitor = { visitor_error: { error: err.code, message: err.message } };
    }
  }
  return c.json({
    ok: true as const,
    message_id: first.id,
    status: first.status,
    ...visitor,
    ...(plan.unknownFields.length > 0 ? { unknown_fields: plan.unknownFields } : {}),
  });
});
