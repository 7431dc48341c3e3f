import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../../../core/errors.js";
import type { AppEnv } from "../../../deps.js";
import { parseForm } from "../install.js";
import { bitrix24BodyLimit, readBracketBody } from "../routes/form-body.js";
import { acceptCheckPhoneRun } from "./check-phone.js";
import { robotKindOf } from "./robot-definitions.js";
import { acceptRobotRun } from "./robot-run.js";
import { verifiedPortalOf } from "./verify-call.js";

/** 5.2: the run itself. Without an event token there is nothing to answer, so that is a 400. */
const robotCallSchema = z.object({
  event_token: z.string().min(1).max(1000),
  code: z.string().optional(),
  workflow_id: z.string().optional(),
  /** 5.1: "N" = the process does not wait for bizproc.event.send */
  use_subscription: z.string().optional(),
  /** 5.2: `["crm", "CCrmDocumentDeal", "DEAL_42"]`: the CRM item the robot runs on */
  document_id: z.array(z.string()).optional(),
  /** 5.2: seconds the process waits for the answer [U: meaning inferred]; bounds how long a run's reply waits */
  timeout_duration: z.coerce.number().int().nonnegative().optional().catch(undefined),
});

/**
 * POST /b24/robots/:code (5.2): the robots and BP activities "Send WhatsApp/Telegram message",
 * "Send file", "Send WhatsApp template" and "Check number" (robot-definitions.ts). The
 * application_token is checked first (1.4). A send queues one message per recipient and is
 * answered at once; once they have their verdicts, one bizproc.event.send answers the process
 * with a result per recipient (5.3, robot-run.ts / robot-reply.ts). A check is done in a job
 * that answers the process (check-phone.ts). A run that cannot be done (unknown channel, no
 * usable recipient) is answered 200 too and its error sent back, so the process does not wait
 * out its timeout. Bitrix24 repeats calls: the event token keys the messages or check, so a
 * repeat does nothing.
 */
export const bitrix24Robots = new Hono<AppEnv>().post("/b24/robots/:code", bitrix24BodyLimit, async (c) => {
  const deps = c.var.deps;
  const form = await readBracketBody(c);
  const portal = await verifiedPortalOf(deps, form);
  const code = c.req.param("code");
  const kind = robotKindOf(code);
  if (!kind) throw new AppError("not_found", `no robot ${code}`);
  const call = parseForm(robotCallSchema, form);
  if (call.code !== undefined && call.code !== code) throw new AppError("invalid_body", `code ${call.code} does not match the handler ${code}`, { field: "code" });
  const waits = call.use_subscription !== "N";

  if (kind === "check_phone") {
    // a check nobody waits for has no effect: nothing is asked of the provider
    if (!waits) return c.json({ ok: true, error: "the process does not wait for the answer: nothing checked" });
    return c.json(await acceptCheckPhoneRun(deps, portal, form, call.event_token));
  }

  return c.json(
    await acceptRobotRun(deps, portal, form, kind, { eventToken: call.event_token, waits, documentId: call.document_id, timeoutSeconds: call.timeout_duration }),
  );
});
