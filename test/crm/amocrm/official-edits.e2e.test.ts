import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EDITED_MARK } from "../../../app/core/messages/inbound.js";
import { postTelegramUpdate, telegramUpdate, TG_CLIENT } from "../../providers/official-fakes.js";
import { backends } from "../../support/db.js";
import type { AmojoBound } from "./amojo-harness.js";
import { OfficialAmojoHarness } from "./official-harness.js";

function editOf(update: Record<string, unknown>, text: string, updateId: number): Record<string, unknown> {
  const message = update.message as Record<string, unknown>;
  return { update_id: updateId, edited_message: { ...message, text, edit_date: Number(message.date) + 60 } };
}

/** A client's edit in amoCRM chats: `edit_message` of the message amojo has (reference/amocrm.md 2.5), else a new one marked edited. */
describe.each(await backends())("amojo: a client's edit (%s)", (backend) => {
  const h = new OfficialAmojoHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  async function post(b: AmojoBound, update: Record<string, unknown>) {
    expect((await postTelegramUpdate(h.app, b.hookSecret, update)).status).toBe(200);
    await h.runJobs(2);
  }

  it("happy: an edit of a message amojo has -> edit_message with our msgid of it and the new text [U: edit answer shape]", async () => {
    const b = await h.boundOfficial("telegram");
    const first = telegramUpdate({ text: "See you at 5", date: h.clock.now() });
    await post(b, first);
    const [sent] = h.amojo.newMessages(b.scopeId);
    await post(b, editOf(first, "See you at 6", Number(first.update_id) + 1));
    expect(h.amojo.edits(b.scopeId)).toEqual([
      expect.objectContaining({ msgid: sent!.msgid, conversation_id: `cb-${b.channel.id}-chat:${TG_CLIENT.chatId}`, message: { type: "text", text: "See you at 6" } }),
    ]);
    expect(h.amojo.newMessages(b.scopeId)).toHaveLength(1);
    expect(h.amojo.violations).toEqual([]);
  });

  it("happy: an edit whose original amojo never got -> a new message marked edited", async () => {
    const b = await h.boundOfficial("telegram");
    const unknownOriginal = telegramUpdate({ text: "x", date: h.clock.now() });
    await post(b, editOf(unknownOriginal, "changed my mind", Number(unknownOriginal.update_id) + 1));
    expect(h.amojo.newMessages(b.scopeId)).toEqual([expect.objectContaining({ message: { type: "text", text: `${EDITED_MARK}\nchanged my mind` } })]);
    expect(h.amojo.edits(b.scopeId)).toEqual([]);
  });
});
