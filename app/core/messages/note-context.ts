import { sql } from "drizzle-orm";
import { hotStatement } from "../../db/hot-statement.js";
import { columnList, type Db, fromDriverRow, fromJoinedRow } from "../../db/index.js";
import { channels, messages, portals } from "../../db/schema.js";
import type { Channel } from "../channels.js";
import type { Message } from "./status.js";

type Portal = typeof portals.$inferSelect;

const noteContext = hotStatement<"id" | "crm">(
  "note_context",
  (p) => sql`select ${columnList(messages, "m", "")}, ${columnList(channels, "c", "c__")}, ${columnList(portals, "p", "p__")}
    from messages m
    left join channels c on c.id = m.channel_id and c.deleted_at is null
    left join portals p on p.id = c.portal_id and p.crm = ${p("crm")}
    where m.id = ${p("id")}::uuid`,
);

/**
 * A message with its live channel and that channel's portal of `crm`, in one query: the first
 * read of the CRM note jobs (the Bitrix24 timeline, the amoCRM contact note), which run for
 * every API and robot message (three reads before). Undefined when the message is gone.
 */
export async function loadNoteContext(
  db: Db,
  messageId: string,
  crm: "bitrix24" | "amocrm",
): Promise<{ message: Message; channel: Channel | null; portal: Portal | null } | undefined> {
  const [row] = await noteContext.rows<Record<string, unknown>>(db, { id: messageId, crm });
  if (!row) return undefined;
  return {
    message: fromDriverRow(messages, row),
    channel: fromJoinedRow(channels, row, "c__"),
    portal: fromJoinedRow(portals, row, "p__"),
  };
}
