import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPERATOR_CHANGE_JOB } from "../../../app/crm/bitrix24/connector/operator-changes.js";
import { backends } from "../../support/db.js";
import { type BoundChannel, ConnectorHarness } from "./connector-harness.js";

describe.each(await backends())("Open Lines connector: operator edits and deletions (%s)", (backend) => {
  const h = new ConnectorHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  type Chatting = BoundChannel & { conversationId: string; imChat: string };

  async function chatting(): Promise<Chatting> {
    const b = await h.boundChannel();
    await h.clientWrites(b, "Hallo", `IN${b.line}`);
    await h.runJobs(2);
    const [conversation] = await h.conversationsOf(b.channel.id);
    return { ...b, conversationId: conversation!.id, imChat: conversation!.crmChatId! };
  }

  /** ONIMCONNECTORMESSAGEADD / UPDATE / DELETE share one shape (3.7, 3.9). */
  function operatorEvent(b: Chatting, event: string, imMessageId: string, text: string) {
    return h.event(event, b.portal.memberId, b.portal.applicationToken, {
      CONNECTOR: "chatbridge",
      LINE: b.line,
      MESSAGES: [{ im: { chat_id: b.imChat, message_id: imMessageId }, message: { user_id: "27", text, id: ["x"] }, chat: { id: b.conversationId } }],
    });
  }

  const notesIn = (b: Chatting) =>
    h.fake
      .callsOf("imconnector.send.messages")
      .filter((c) => c.body.LINE === b.line)
      .flatMap((c) => c.body.MESSAGES as Array<{ message: { text?: string } }>)
      .map((m) => m.message.text ?? "")
      .filter((t) => t.startsWith("⚠️ chatbridge"));

  it("happy: an edit of a sent message sends nothing new and tells the operator, once per distinct edit", async () => {
    const b = await chatting();
    await operatorEvent(b, "ONIMCONNECTORMESSAGEADD", "91001", "Preis 100");
    await h.runJobs(3);
    const sendsBefore = h.wappiSends().length;

    const res = await operatorEvent(b, "ONIMCONNECTORMESSAGEUPDATE", "91001", "Preis 120");
    expect(await res.json()).toEqual({ ok: true, noted: 1, unknown: 0 });
    await operatorEvent(b, "ONIMCONNECTORMESSAGEUPDATE", "91001", "Preis 120"); // redelivered
    expect(await h.jobsOf(OPERATOR_CHANGE_JOB)).toHaveLength(1);
    await h.runJobs(2);

    expect(h.wappiSends().length).toBe(sendsBefore);
    const notes = notesIn(b);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('"Preis 100"');
    expect(notes[0]).toContain("cannot edit");
  });

  it("happy: a deletion is noted in the chat and the message row keeps its status", async () => {
    const b = await chatting();
    await operatorEvent(b, "ONIMCONNECTORMESSAGEADD", "91002", "Falsche Nachricht");
    await h.runJobs(3);
    const res = await operatorEvent(b, "ONIMCONNECTORMESSAGEDELETE", "91002", "");
    expect(await res.json()).toEqual({ ok: true, noted: 1, unknown: 0 });
    await h.runJobs(2);
    expect(notesIn(b).some((t) => t.includes('"Falsche Nachricht"') && t.includes("cannot delete"))).toBe(true);
    const [sent] = (await h.messagesOf(b.channel.id)).filter((m) => m.crmMessageId === "91002");
    expect(sent!.status).toBe("sent");
  });

  it("error: a change of a message we never sent is counted as unknown and queues nothing", async () => {
    const b = await chatting();
    const before = (await h.jobsOf(OPERATOR_CHANGE_JOB)).length;
    const res = await operatorEvent(b, "ONIMCONNECTORMESSAGEUPDATE", "99999", "egal");
    expect(await res.json()).toEqual({ ok: true, noted: 0, unknown: 1 });
    expect((await h.jobsOf(OPERATOR_CHANGE_JOB)).length).toBe(before);
  });

  it("security: a change event with a forged application_token is refused and queues nothing", async () => {
    const b = await chatting();
    const before = (await h.jobsOf(OPERATOR_CHANGE_JOB)).length;
    const res = await h.event("ONIMCONNECTORMESSAGEDELETE", b.portal.memberId, "forged-token-0000000000", {
      CONNECTOR: "chatbridge",
      LINE: b.line,
      MESSAGES: [{ im: { chat_id: b.imChat, message_id: "91002" }, message: { text: "" }, chat: { id: b.conversationId } }],
    });
    expect(res.status).toBe(401);
    expect((await h.jobsOf(OPERATOR_CHANGE_JOB)).length).toBe(before);
  });
});
