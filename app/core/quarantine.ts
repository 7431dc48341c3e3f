import type { Db } from "../db/index.js";
import { webhookQuarantine } from "../db/schema.js";

export interface QuarantinedHook {
  channelId: string | null;
  provider: string;
  contentType: string | null;
  body: string;
  error: string;
}

// PostgreSQL text cannot hold U+0000 (the insert fails, and the hook got a 500 instead of its 200)
const NUL = /\u0000/g;
const storable = (text: string) => text.replace(NUL, "\uFFFD");

/**
 * Keeps an authenticated hook we could not parse where an admin can see it (provider webhooks
 * and amojo hooks). The body is whatever the caller sent, so it is made storable first.
 */
export async function storeQuarantinedHook(db: Db, hook: QuarantinedHook): Promise<void> {
  await db.insert(webhookQuarantine).values({
    channelId: hook.channelId,
    provider: hook.provider,
    contentType: hook.contentType === null ? null : storable(hook.contentType),
    body: storable(hook.body),
    error: storable(hook.error).slice(0, 2000),
  });
}
