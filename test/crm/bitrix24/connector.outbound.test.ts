import { failureText, languageOfDomain } from "../../../app/core/failure-texts.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordStatus } from "../../../app/core/messages/record-status.js";
import { backends } from "../../support/db.js";
import { type BoundChannel, ConnectorHarness } from "./connector-harness.js";

describe.each(await backends())("Open Lines connector: operator -> client (%s)", (backend) => {
  const h = new ConnectorHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  /** A bound channel whose client has written once, so the chat exists on both sides. */
  async function chatting(): Promise<BoundChannel & { conversationId: string; imChat: string }> {
    const b = await h.boundChannel();
    await h.clientWrites(b, "Hallo", `IN${b.line}`);
    await h.runJobs(2);
    const [conversation] = await h.conversationsOf(b.channel.id);
    return { ...b, conversationId: conversation!.id, imChat: conversation!.crmChatId! };
  }

  /** ONIMCONNECTORMESSAGEADD as 3.7 shows it, bracket keys and all. */
  function operatorWrites(b: BoundChannel & { conversationId: string; imChat: string }, imMessageId: string, message: Record<string, unknown>, connector = "chatbridge") {
    return h.event("ONIMCONNECTORMESSAGEADD", b.portal.memberId, b.portal.applicationToken, {
      CONNECTOR: connector,
      LINE: b.line,
      MESSAGES: [{ im: { chat_id: b.imChat, message_id: imMessageId }, message: { user_id: "27", ...message }, chat: { id: b.conversationId } }],
    });
  }

  it("happy: an operator reply delivered twice queues one send, reaches Wappi once, and is acknowledged with the right ids", async () => {
    const b = await chatting();
    const first = await operatorWrites(b, "86497", { text: "[b]Klaus Weber:[/b] [br]Guten Tag!" });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ ok: true, queued: 1, duplicates: 0, skipped: 0 });
    const again = await operatorWrites(b, "86497", { text: "[b]Klaus Weber:[/b] [br]Guten Tag!" });
    expect(await again.json()).toEqual({ ok: true, queued: 0, duplicates: 1, skipped: 0 });

    const out = (await h.messagesOf(b.channel.id)).filter((m) => m.direction === "out");
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ origin: "openlines", crmMessageId: "86497", dedupKey: `b24:${b.portal.memberId}:86497`, peer: "79115576366" });

    const sendsBefore = h.wappiSends().length;
    await h.runJobs(3);
    expect(h.wappiSends().slice(sendsBefore)).toEqual([{ body: "*Klaus Weber:*\nGuten Tag!", recipient: "79115576366" }]);
    expect(h.wappi.violations).toEqual([]);

    const acks = h.fake.callsOf("imconnector.send.status.delivery").filter((c) => c.body.LINE === b.line);
    expect(acks).toHaveLength(1);
    expect(acks[0]!.body).toMatchObject({
      CONNECTOR: "chatbridge",
      LINE: b.line,
      MESSAGES: [{ im: { chat_id: b.imChat, message_id: "86497" }, message: { id: ["3EB0128AE55B5D222DD0"] }, chat: { id: b.conversationId } }],
    });
    expect((acks[0]!.body.MESSAGES as Array<{ message: { date: string } }>)[0]!.message.date).toMatch(/^\d{10}$/);
  });

  it("happy: read goes back through imconnector.send.status.reading without a date (3.8)", async () => {
    const b = await chatting();
    await operatorWrites(b, "86600", { text: "Wie geht's?" });
    await h.runJobs(3);
    const [message] = (await h.messagesOf(b.channel.id)).filter((m) => m.crmMessageId === "86600");
    const { jobId } = await recordStatus(h.deps, message!, { status: "read", at: h.clock.now() });
    expect(jobId).toBeDefined();
    await h.runJobs(1);
    const [reading] = h.fake.callsOf("imconnector.send.status.reading").filter((c) => c.body.LINE === b.line);
    expect(reading!.body.MESSAGES).toEqual([{ im: { chat_id: b.imChat, message_id: "86600" }, message: { id: ["3EB0128AE55B5D222DD0"] }, chat: { id: b.conversationId } }]);
  });

  it("happy: a text with a file becomes a text message and a file message, each sent once", async () => {
    const b = await chatting();
    const res = await operatorWrites(b, "86700", {
      text: "Das Angebot:",
      files: [{ name: "angebot.pdf", link: "https://portal.example/disk/angebot.pdf", type: "file" }],
    });
    expect(await res.json()).toMatchObject({ queued: 2 });
    const sendsBefore = h.wappiSends().length;
    await h.runJobs(4);
    expect(h.wappiSends().slice(sendsBefore)).toEqual([
      { body: "Das Angebot:", recipient: "79115576366" },
      { recipient: "79115576366", url: "https://portal.example/disk/angebot.pdf", file_name: "angebot.pdf" },
    ]);
  });

  it("error: a provider failure (no_messenger) posts a visible warning note into the chat", async () => {
    const b = await chatting();
    await operatorWrites(b, "86800", { text: "Sind Sie da?" });
    const [message] = (await h.messagesOf(b.channel.id)).filter((m) => m.crmMessageId === "86800");
    // what the send job records when the provider answers that the number has no WhatsApp
    await recordStatus(h.deps, message!, { status: "failed", at: h.clock.now(), reason: "the number is not on WhatsApp", errorCode: "no_messenger" });
    await h.runJobs(2);
    const notes = h.fake.callsOf("imconnector.send.messages").filter((c) => c.body.LINE === b.line).slice(1);
    expect(notes).toHaveLength(1);
    expect(notes[0]!.body.MESSAGES).toMatchObject([{ user: { id: b.conversationId }, chat: { id: b.conversationId }, message: { id: `${message!.id}:failed` } }]);
    const text = (notes[0]!.body.MESSAGES as Array<{ message: { text: string } }>)[0]!.message.text;
    expect(text.startsWith("⚠️")).toBe(true);
    expect(text).toContain("Sind Sie da?");
    // the fixed public reason in the portal's language, never the provider's own answer or our codes
    expect(text).toContain(failureText("no_messenger", languageOfDomain(h.fake.host)));
    expect(text).not.toContain("the number is not on WhatsApp");
    expect(text).not.toContain("no_messenger");
    expect(h.fake.callsOf("imconnector.send.status.delivery").filter((c) => c.body.LINE === b.line && JSON.stringify(c.body).includes("86800"))).toHaveLength(0);
  });

  it("security: a wrong application_token -> 401, nothing queued", async () => {
    const b = await chatting();
    const res = await h.event("ONIMCONNECTORMESSAGEADD", b.portal.memberId, "51856fefc120afa4b628cc82d3935cce", {
      CONNECTOR: "chatbridge",
      LINE: b.line,
      MESSAGES: [{ im: { chat_id: b.imChat, message_id: "99999" }, message: { text: "pwned" }, chat: { id: b.conversationId } }],
    });
    expect(res.status).toBe(401);
    expect((await h.messagesOf(b.channel.id)).filter((m) => m.direction === "out")).toHaveLength(0);
  });

  it("security: another portal's event naming this portal's line and chat queues nothing", async () => {
    const b = await chatting();
    const other = await h.installed();
    const res = await h.event("ONIMCONNECTORMESSAGEADD", other.memberId, other.applicationToken, {
      CONNECTOR: "chatbridge",
      LINE: b.line,
      MESSAGES: [{ im: { chat_id: b.imChat, message_id: "77777" }, message: { text: "hi" }, chat: { id: b.conversationId } }],
    });
    expect(await res.json()).toEqual({ ok: true, ignored: "ONIMCONNECTORMESSAGEADD" });
    expect((await h.messagesOf(b.channel.id)).filter((m) => m.direction === "out")).toHaveLength(0);
  });

  it("happy: events of another connector are acknowledged and ignored", async () => {
    const b = await chatting();
    const res = await operatorWrites(b, "86900", { text: "not ours" }, "acme_wa");
    expect(await res.json()).toEqual({ ok: true, ignored: "ONIMCONNECTORMESSAGEADD" });
    expect((await h.messagesOf(b.channel.id)).filter((m) => m.direction === "out")).toHaveLength(0);
  });

  it("error: a malformed MESSAGES block -> 400 naming the field, nothing queued", async () => {
    const b = await chatting();
    const res = await h.event("ONIMCONNECTORMESSAGEADD", b.portal.memberId, b.portal.applicationToken, {
      CONNECTOR: "chatbridge",
      LINE: b.line,
      MESSAGES: [{ message: { text: "no im block" }, chat: { id: b.conversationId } }],
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ ok: false, error: "invalid_body" });
    expect((await h.messagesOf(b.channel.id)).filter((m) => m.direction === "out")).toHaveLength(0);
  });
});
