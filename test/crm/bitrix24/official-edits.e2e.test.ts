import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EDITED_MARK } from "../../../app/core/messages/inbound.js";
import { postTelegramUpdate, telegramUpdate } from "../../providers/official-fakes.js";
import { backends } from "../../support/db.js";
import { type OfficialBound, OfficialHarness } from "./official-harness.js";

/** Telegram's `edited_message` of an Update we built as the client's message. */
function editOf(update: Record<string, unknown>, text: string, updateId: number): Record<string, unknown> {
  const message = update.message as Record<string, unknown>;
  return { update_id: updateId, edited_message: { ...message, text, edit_date: Number(message.date) + 60 } };
}

/**
 * A client edits a message (Telegram edited_message): the Open Line shows it as an edit of the
 * message it already has (imconnector.update.messages, reference/bitrix24.md 3.6), or as a new
 * message marked edited when the original never reached the line.
 */
describe.each(await backends())("Open Lines: a client's edit (%s)", (backend) => {
  const h = new OfficialHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  async function post(b: OfficialBound, update: Record<string, unknown>) {
    expect((await postTelegramUpdate(h.app, b.hookSecret, update)).status).toBe(200);
    await h.runJobs(2);
  }

  it("happy: an edit of a message the line shows -> imconnector.update.messages with that message's id and the new text [U: update answer shape]", async () => {
    const b = await h.officialChannel("telegram");
    const first = telegramUpdate({ text: "I need an invoce", date: h.clock.now() });
    await post(b, first);
    const [sent] = h.lineCalls(b, "imconnector.send.messages");
    const originalId = ((sent!.body.MESSAGES as Array<{ message: { id: string } }>)[0]!).message.id;

    await post(b, editOf(first, "I need an invoice", Number(first.update_id) + 1));
    const updates = h.lineCalls(b, "imconnector.update.messages");
    expect(updates).toHaveLength(1);
    expect(updates[0]!.body.MESSAGES).toMatchObject([{ message: { id: originalId, text: "I need an invoice" } }]);
    // no second message in the chat
    expect(h.lineCalls(b, "imconnector.send.messages")).toHaveLength(1);
  });

  it("happy: an edit of a message the line never got (sent before the channel was bound) -> a new message marked edited", async () => {
    const b = await h.officialChannel("telegram");
    const unknownOriginal = telegramUpdate({ text: "first words", date: h.clock.now() });
    await post(b, editOf(unknownOriginal, "second thoughts", Number(unknownOriginal.update_id) + 1));
    const sends = h.lineCalls(b, "imconnector.send.messages");
    expect(sends).toHaveLength(1);
    expect(sends[0]!.body.MESSAGES).toMatchObject([{ message: { text: `${EDITED_MARK}\nsecond thoughts` } }]);
    expect(h.lineCalls(b, "imconnector.update.messages")).toEqual([]);
  });
});
