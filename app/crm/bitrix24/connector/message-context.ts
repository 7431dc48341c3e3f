import { sql } from "drizzle-orm";
import type { Channel } from "../../../core/channels.js";
import type { Message } from "../../../core/messages/status.js";
import { PermanentError } from "../../../core/outbox/types.js";
import { hotStatement } from "../../../db/hot-statement.js";
import { columnList, fromDriverRow, fromJoinedRow } from "../../../db/index.js";
import { channels, conversations, lineBindings, messages, portals } from "../../../db/schema.js";
import { Bitrix24Client } from "../client.js";
import type { Bitrix24Deps } from "../oauth.js";
import type { PortalRow } from "../portal-auth.js";
import { Bitrix24Error } from "../errors.js";
import type { LineBinding } from "./binding.js";
import type { Conversation, OpenLineTarget } from "./client-message.js";

/** Everything a connector job needs about one of our messages and the Open Line it belongs in. */
export interface OpenLineContext {
  message: Message;
  channel: Channel;
  binding: LineBinding;
  portal: PortalRow;
  conversation: Conversation;
  client: Bitrix24Client;
  target: OpenLineTarget;
}

const contextStatement = hotStatement<"id">(
  "open_line_context",
  (p) => sql`select ${columnList(messages, "m", "")}, ${columnList(channels, "c", "c__")}, ${columnList(lineBindings, "b", "b__")},
        ${columnList(portals, "p", "p__")}, ${columnList(conversations, "v", "v__")}
      from messages m
      left join channels c on c.id = m.channel_id and c.deleted_at is null
      left join line_bindings b on b.channel_id = c.id and b.crm = 'bitrix24' and b.active
      left join portals p on p.id = c.portal_id
      left join conversations v on v.id = m.conversation_id
      where m.id = ${p("id")}::uuid
      limit 1`,
);

/**
 * Loads a message with its channel, active Bitrix24 binding, portal and conversation.
 * Undefined when the channel is no longer bound (the job has nothing left to do). A message,
 * channel or conversation that is gone cannot come back: PermanentError. An uninstalled portal
 * or one needing a reinstall fails the first REST call with Bitrix24ReinstallNeededError,
 * which is permanent too.
 */
export async function loadOpenLineContext(deps: Bitrix24Deps, messageId: string): Promise<OpenLineContext | undefined> {
  // one round trip for all five rows: every connector job starts here (the busiest is each
  // client message into the line), and five sequential reads were most of a job's database time
  const [row] = await contextStatement.rows<Record<string, unknown>>(deps.db, { id: messageId });
  if (!row) throw new PermanentError(`message ${messageId} no longer exists`, "message_removed");
  const message = fromDriverRow(messages, row);
  const channel = fromJoinedRow(channels, row, "c__");
  const binding = fromJoinedRow(lineBindings, row, "b__");
  const portal = fromJoinedRow(portals, row, "p__");
  const conversation = fromJoinedRow(conversations, row, "v__");
  if (!channel) throw new PermanentError("channel was removed", "channel_removed");
  if (!binding) {
    deps.logger.info("bitrix24: channel no longer bound, message not shown in open lines", { message: message.id, channel: channel.id });
    return undefined;
  }
  if (!portal) throw new Bitrix24Error("no_portal", `channel ${channel.id} does not belong to a Bitrix24 portal`);
  if (!conversation) throw new PermanentError(`message ${message.id} has no conversation`, "conversation_removed");
  return {
    message,
    channel,
    binding,
    portal,
    conversation,
    client: new Bitrix24Client(deps, portal.externalId, { portal }),
    target: { line: binding.lineId, messenger: channel.messenger, now: deps.clock.now() },
  };
}
