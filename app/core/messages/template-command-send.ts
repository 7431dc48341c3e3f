import type { Peer } from "../../providers/types.js";
import type { Channel } from "../channels.js";
import { AppError } from "../errors.js";
import type { TemplateCommand } from "../template-command.js";
import { prepareTemplateSend } from "../templates.js";
import type { AppDeps } from "../../deps.js";
import { type Origin, queueOutgoing, recordRefusedOutgoing } from "./outgoing.js";
import type { Message } from "./status.js";

/** The error code of a `/template` command that asked for the list: the CRM chat shows the list (not a failure). */
export const TEMPLATE_LIST_CODE = "template_list";

export interface TemplateCommandInput {
  origin: Origin;
  channel: Channel;
  peer: Peer;
  command: TemplateCommand;
  dedupKey: string;
  crmMessageId: string;
  /** the command as typed, kept as the row's body when it is refused */
  text: string;
}

/**
 * `/template …` typed in a CRM chat of a channel with templates (core/template-command.ts): a
 * valid template is queued like any operator message (the row keeps the filled-in text); the
 * list request or a wrong template becomes a refused row whose failure report in the chat lists
 * the approved templates (each CRM's report-status), so the operator can try again.
 */
export async function queueTemplateCommand(deps: AppDeps, input: TemplateCommandInput): Promise<{ message: Message; created: boolean }> {
  const base = { channel: input.channel, peer: input.peer, origin: input.origin, dedupKey: input.dedupKey, crmMessageId: input.crmMessageId };
  if (!input.command.name) {
    return recordRefusedOutgoing(deps, { ...base, content: { type: "text", text: input.text } }, { code: TEMPLATE_LIST_CODE, reason: "the operator asked for the templates" });
  }
  try {
    const prepared = await prepareTemplateSend(deps, input.channel, {
      name: input.command.name,
      language: input.command.language,
      params: input.command.params,
    });
    return queueOutgoing(deps, { ...base, content: { type: "text", text: prepared.text }, template: prepared.ref });
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return recordRefusedOutgoing(deps, { ...base, content: { type: "text", text: input.text } }, { code: "template_invalid", reason: err.message });
  }
}

