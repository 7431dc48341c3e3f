import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRM_DELIVER_JOB } from "../../../app/core/messages/inbound.js";
import { lineBindings } from "../../../app/db/schema.js";
import outgoingFromPhone from "../../../app/providers/wappi/fixtures/webhook-outgoing-message-phone.json";
import { backends } from "../../support/db.js";
import { type AmojoBound, AmojoHarness, CLIENT_PHONE, PHOTO } from "./amojo-harness.js";
import { FAKE_BOT_ID } from "./fake-amojo.js";

describe.each(await backends())("amojo: client -> amoCRM chat (new_message, 2.5) (%s)", (backend) => {
  const h = new AmojoHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  async function deliverJobOf(messageId: string) {
    return (await h.jobsOf(CRM_DELIVER_JOB)).find((j) => (j.payload as { messageId: string }).messageId === messageId);
  }

  it("happy: a client's WhatsApp text becomes a signed, non-silent new_message with stable chat and user ids", async () => {
    const b = await h.bound();
    expect((await h.clientWrites(b)).status).toBe(200);
    await h.runJobs(2);
    const [message] = await h.messagesOf(b.channel.id);
    const [sent] = h.amojo.newMessages(b.scopeId);
    expect(sent).toEqual({
      timestamp: Math.floor(message!.createdAt.getTime() / 1000),
      msec_timestamp: message!.createdAt.getTime(),
      msgid: message!.id,
      conversation_id: `cb-${b.channel.id}-${CLIENT_PHONE}`,
      sender: {
        id: `cb-user-${b.channel.id}-${CLIENT_PHONE}`,
        name: "Иван",
        profile: { phone: `+${CLIENT_PHONE}` },
        profile_link: `https://wa.me/${CLIENT_PHONE}`,
      },
      message: { type: "text", text: "Привет, как дела?" },
      silent: false,
    });
    expect(h.amojo.violations).toEqual([]);
    // 6.2 pitfall 10: the answer's msgid is amojo's id; it is kept on our row
    const [after] = await h.messagesOf(b.channel.id);
    expect(h.amojo.knownMessages.has(after!.crmMessageId!)).toBe(true);
    const [conversation] = await h.conversationsOf(b.channel.id);
    expect(conversation!.crmChatId).toBe(`cb-${b.channel.id}-${CLIENT_PHONE}`);
    expect((await deliverJobOf(message!.id))!.status).toBe("done");

    await h.clientWrites(b, { body: "ещё вопрос" });
    await h.runJobs(2);
    const both = h.amojo.newMessages(b.scopeId);
    expect(both).toHaveLength(2);
    expect(both[1]).toMatchObject({ conversation_id: sent!.conversation_id, sender: { id: (sent!.sender as { id: string }).id }, message: { text: "ещё вопрос" } });
  });

  it("happy: a client's photo is re-hosted and sent as a picture with file_name and file_size (6.2 pitfall 9), caption as text", async () => {
    const b = await h.bound();
    await h.clientWrites(b, { type: "image", body: "", caption: "Вот фото", file_link: `${h.media.url}/media/IMG-0001.jpg`, file_name: "IMG-0001.jpg", mimetype: "image/jpeg" });
    await h.runJobs(2);
    const [sent] = h.amojo.newMessages(b.scopeId);
    const m = sent!.message as Record<string, unknown>;
    expect(m).toEqual({ type: "picture", media: expect.stringMatching(/^https:\/\/bridge\.example\/files\/[0-9a-f-]{36}\//), file_name: "IMG-0001.jpg", file_size: PHOTO.length, text: "Вот фото" });
    expect(h.amojo.violations).toEqual([]);
    // the link is ours and serves the bytes
    const path = new URL(String(m.media)).pathname;
    const file = await h.app.request(path);
    expect(file.status).toBe(200);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(PHOTO);
  });

  it("happy: a document the client sent goes as a file; a voice note as voice", async () => {
    const b = await h.bound();
    await h.clientWrites(b, { type: "document", body: "", file_link: `${h.media.url}/media/offer.pdf`, file_name: "offer.pdf", mimetype: "application/pdf" });
    await h.clientWrites(b, { type: "ptt", body: "", file_link: `${h.media.url}/media/voice.ogg`, mimetype: "audio/ogg; codecs=opus" });
    await h.runJobs(2);
    const types = h.amojo.newMessages(b.scopeId).map((p) => p.message as Record<string, unknown>);
    expect(types).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: "file", file_name: "offer.pdf", file_size: PHOTO.length }),
        expect.objectContaining({ type: "voice", file_name: "voice.ogg", file_size: PHOTO.length }),
      ]),
    );
    expect(h.amojo.violations).toEqual([]);
  });

  it("happy: a message the owner typed on the phone goes in silently, to the client, from the channel bot (2.5 last example)", async () => {
    const b = await h.bound();
    expect((await h.wappiHook(b, outgoingFromPhone)).status).toBe(200);
    await h.runJobs(2);
    const [sent] = h.amojo.newMessages(b.scopeId);
    expect(sent).toMatchObject({
      conversation_id: `cb-${b.channel.id}-${CLIENT_PHONE}`,
      sender: { id: `cb-bot-${b.channel.id}`, name: "Sales", ref_id: FAKE_BOT_ID },
      receiver: { id: `cb-user-${b.channel.id}-${CLIENT_PHONE}`, name: "Иван Петров", profile: { phone: `+${CLIENT_PHONE}` } },
      message: { type: "text", text: "Добрый день! Договор получили." },
      silent: true,
    });
    expect(h.amojo.violations).toEqual([]);
  });

  it("happy: a channel unbound before delivery delivers nothing, and the job ends", async () => {
    const b = await h.bound();
    await h.clientWrites(b);
    await h.t.db.update(lineBindings).set({ active: false }).where(eq(lineBindings.channelId, b.channel.id));
    await h.runJobs(2);
    expect(h.amojo.newMessages(b.scopeId).filter((p) => String(p.conversation_id).startsWith(`cb-${b.channel.id}-`))).toEqual([]);
    const [message] = await h.messagesOf(b.channel.id);
    expect((await deliverJobOf(message!.id))!.status).toBe("done");
  });

  it("error: amojo refusing the data (400) dead-letters the delivery at once; a 503 is retried and then succeeds", async () => {
    const b: AmojoBound = await h.bound();
    h.amojo.answerNext({ status: 400, body: { error_code: 400, error_description: "bad data" } });
    await h.clientWrites(b, { body: "first" });
    await h.runJobs(1);
    const [first] = await h.messagesOf(b.channel.id);
    expect(await deliverJobOf(first!.id)).toMatchObject({ status: "dead", attempts: 1 });
    expect((await deliverJobOf(first!.id))!.lastError).toContain("400");

    h.amojo.answerNext({ status: 503, body: {} });
    await h.clientWrites(b, { body: "second" });
    await h.runJobs(3);
    const second = (await h.messagesOf(b.channel.id)).find((m) => m.body === "second");
    expect(await deliverJobOf(second!.id)).toMatchObject({ status: "done", attempts: 2 });
    // the 503 attempt reached the fake too (recorded), the retry got amojo's id
    expect(h.amojo.newMessages(b.scopeId).filter((p) => p.msgid === second!.id)).toHaveLength(2);
    expect(h.amojo.knownMessages.has(second!.crmMessageId!)).toBe(true);
    expect(first!.crmMessageId).toBeNull();
  });
});
