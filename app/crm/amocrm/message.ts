import { eq } from "drizzle-orm";
import type { Db } from "../../db/index.js";
import { messages } from "../../db/schema.js";

export type MessageRow = typeof messages.$inferSelect;

export async function findMessage(db: Db, messageId: string): Promise<MessageRow | undefined> {
  const [row] = await db.select().from(messages).where(eq(messages.id, messageId)).limit(1);
  return row;
}
