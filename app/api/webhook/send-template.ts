import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../../core/errors.js";
import { assertPublicUrl } from "../../core/ssrf.js";
import { channelHasTemplates, prepareTemplateSend } from "../../core/templates.js";
import { sendViaWebhook } from "../../core/webhook-send.js";
import { messageAnswer } from "./answers.js";
import { WEBHOOK_ROUTE_PREFIX, type WebhookEnv, webhookAuth } from "./auth.js";
import { country, listParam, parseParams, peerOf, phoneNumber, readParams, requestId, textParam, waitSeconds, ifCapped, yesNo } from "./params.js";

/** WhatsApp caps one template value at 1,024 characters [U: 2nd-hand, channels-next.md 2 error 132005]. */
const MAX_VALUE = 1024;

const sendTemplateParams = z.object({
  phone_number: phoneNumber,
  country,
  template: textParam(512),
  language: z
    .string()
    .trim()
    .regex(/^[A-Za-z]{2,3}(_[A-Za-z]{2,4})?$/, { error: "must be a language code such as ru or en_US" })
    .optional(),
  header_url: z.string().trim().max(2048, { error: "must be at most 2048 characters" }).optional(),
  send_to_imol: yesNo,
  request_id: requestId,
  wait: waitSeconds,
  if_capped: ifCapped,
});

/** A list of template values; WhatsApp refuses empty ones, so a blank value is named rather than sent. */
function templateValues(list: string[], field: string): string[] {
  list.forEach((value, i) => {
    if (value.trim() === "") throw new AppError("invalid_parameter", `${field}[${i}]: must not be empty`, { field });
    if (value.length > MAX_VALUE) throw new AppError("invalid_parameter", `${field}[${i}]: must be at most ${MAX_VALUE} characters`, { field });
  });
  return list;
}

/**
 * GET|POST /rest/webhook/wa/<token>/sendTemplate: an approved WhatsApp template (Cloud API),
 * the one message a business may send outside the 24-hour window. Values go in order as
 * `params[]` (or `param1`, `param2`…), header values as `header_params[]`; the template is
 * checked against the channel's synced list before anything is queued.
 */
export const sendTemplate = new Hono<WebhookEnv>().on(
  ["GET", "POST"],
  `${WEBHOOK_ROUTE_PREFIX}/sendTemplate`,
  webhookAuth("sendTemplate"),
  async (c) => {
    const caller = c.var.webhook;
    const deps = c.var.deps;
    const raw = await readParams(c);
    const params = parseParams(sendTemplateParams, raw);
    const bodyValues = templateValues(listParam(raw, "params", "param"), "params");
    const headerValues = templateValues(listParam(raw, "header_params", "header_param"), "header_params");
    if (params.header_url) assertPublicUrl(params.header_url, { allowLoopback: deps.config.OUTBOUND_ALLOW_LOOPBACK }, "header_url");
    // no I/O: a channel without templates is told so before anything about the recipient
    if (!channelHasTemplates(caller.channel)) throw new AppError("unsupported", "this channel's provider has no message templates: use sendText");
    const peer = peerOf(caller.kind, params, caller.region);
    const message = await sendViaWebhook(deps, {
      caller,
      peer,
      // checked against the channel's templates only for a new message: a repeated request_id returns the first one
      template: () =>
        prepareTemplateSend(deps, caller.channel, {
          name: params.template,
          language: params.language,
          params: bodyValues,
          headerParams: headerValues,
          headerMediaUrl: params.header_url,
        }),
      sendToImol: params.send_to_imol,
      requestId: params.request_id,
      waitSeconds: params.wait,
    ifCapped: params.if_capped,
    });
    return messageAnswer(c, message);
  },
);
