import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unbindChannel } from "../../../app/crm/bitrix24/connector/binding.js";
import { CRM_DELIVER_JOB } from "../../../app/core/messages/inbound.js";
import { lineBindings } from "../../../app/db/schema.js";
import outgoingFromPhone from "../../../app/providers/wappi/fixtures/webhook-outgoing-message-phone.json";
import { backends } from "../../support/db.js";
import { ConnectorHarness } from "./connector-harness.js";

describe.each(await backends())("Open Lines connector: binding and client -> operator (%s)", (backend) => {
  const h = new ConnectorHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("happy: binding a channel activates the connector on the line and sets its data (3.5), in one batch", async () => {
    const since = h.fake.restCalls.length;
    const b = await h.boundChannel();
    const calls = h.fake.imconnectorCalls(since).filter((c) => c.method !== "imconnector.register" && c.method !== "event.bind");
    expect(calls.map((c) => c.method)).toEqual(["imconnector.activate", "imconnector.connector.data.set"]);
    expect(calls[0]!.body).toEqual({ CONNECTOR: "chatbridge", LINE: b.line, ACTIVE: "1" });
    expect(calls[1]!.body).toEqual({
      CONNECTOR: "chatbridge",
      LINE: b.line,
      DATA: { ID: b.channel.id, URL: "https://bridge.example", URL_IM: "https://bridge.example", NAME: "WhatsApp: Sales" },
    });
    const [binding] = await h.t.db.select().from(lineBindings).where(eq(lineBindings.channelId, b.channel.id));
    expect(binding).toMatchObject({ crm: "bitrix24", lineId: b.line, active: true, data: { connector: "chatbridge", memberId: b.portal.memberId } });
  });

  it("happy: unbinding deactivates the connector on the line (ACTIVE=0) and the binding", async () => {
    const b = await h.boundChannel();
    await unbindChannel(h.deps, b.channel);
    expect(h.fake.callsOf("imconnector.activate").at(-1)!.body).toMatchObject({ CONNECTOR: "chatbridge", LINE: b.line, ACTIVE: "0" });
    const [binding] = await h.t.db.select().from(lineBindings).where(eq(lineBindings.channelId, b.channel.id));
    expect(binding!.active).toBe(false);
  });

  it("happy: a client's WhatsApp message reaches imconnector.send.messages with phone, name, text and stable ids", async () => {
    const b = await h.boundChannel();
    expect((await h.clientWrites(b)).status).toBe(200);
    await h.runJobs(2);
    const [send] = h.fake.callsOf("imconnector.send.messages").filter((c) => c.body.LINE === b.line);
    const [conversation] = await h.conversationsOf(b.channel.id);
    const [message] = await h.messagesOf(b.channel.id);
    expect(send!.body).toEqual({
      auth: b.portal.accessToken,
      CONNECTOR: "chatbridge",
      LINE: b.line,
      MESSAGES: [
        {
          user: { id: conversation!.id, name: "Иван", phone: "+79115576366", url: "https://wa.me/79115576366" },
          message: { id: message!.id, date: String(Math.floor(message!.createdAt.getTime() / 1000)), text: "Привет, как дела?" },
          chat: { id: conversation!.id, url: "https://wa.me/79115576366" },
        },
      ],
    });
    // 3.6: the answer's session ids are kept on the conversation
    expect(conversation!.crmChatId).toBe(h.fake.imChatOf(conversation!.id));
    expect(conversation!.crmSessionId).toMatch(/^\d+$/);
    expect((await h.jobsOf(CRM_DELIVER_JOB)).find((j) => (j.payload as { messageId: string }).messageId === message!.id)!.status).toBe("done");

    // the same client again: the same user and chat ids
    await h.clientWrites(b, "ещё", "3A945DD9CDD3016BE11C");
    await h.runJobs(2);
    const sends = h.fake.callsOf("imconnector.send.messages").filter((c) => c.body.LINE === b.line);
    expect(sends).toHaveLength(2);
    expect(sends[1]!.body.MESSAGES).toMatchObject([{ user: { id: conversation!.id }, chat: { id: conversation!.id }, message: { text: "ещё" } }]);
  });

  it.each(["1", "0", " 1 "])("happy: a bare %j arrives escaped so it is not taken as a rating vote (3.10, UNVERIFIED folklore)", async (text) => {
    const b = await h.boundChannel();
    await h.clientWrites(b, text, `VOTE${text.trim()}${b.line}`);
    await h.runJobs(2);
    const [send] = h.fake.callsOf("imconnector.send.messages").filter((c) => c.body.LINE === b.line);
    const sent = (send!.body.MESSAGES as Array<{ message: { text: string } }>)[0]!.message.text;
    expect(sent).toBe(`\u200b${text.trim()}`);
    expect(sent).not.toMatch(/^[01]$/);
  });

  it("happy: text like '10' or 'ok 1' is sent as is", async () => {
    const b = await h.boundChannel();
    await h.clientWrites(b, "10", `TEN${b.line}`);
    await h.runJobs(2);
    const [send] = h.fake.callsOf("imconnector.send.messages").filter((c) => c.body.LINE === b.line);
    expect(send!.body.MESSAGES).toMatchObject([{ message: { text: "10" } }]);
  });

  it("happy: a message the owner typed on the phone is shown in the line as the app's user, not as the client's; its echo is not sent back", async () => {
    const b = await h.boundChannel();
    await h.clientWrites(b, "Пришлите договор", `PH${b.line}`);
    await h.runJobs(2);
    // `profile` with the app's token names the user who installed the app (1.4)
    h.fake.answerNext("profile", { status: 200, body: { result: { ID: "1", ADMIN: true, NAME: "Anna" } } });
    const res = await h.app.request(`/hooks/wappi/${b.hookSecret}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(outgoingFromPhone) });
    expect(res.status).toBe(200);
    await h.runJobs(2);
    const posted = h.fake
      .callsOf("imconnector.send.messages")
      .filter((c) => c.body.LINE === b.line)
      .flatMap((c) => c.body.MESSAGES as Array<{ message: { text?: string; user_id?: string } }>)
      .filter((m) => m.message.text === "Добрый день! Договор получили.");
    expect(posted).toHaveLength(1);
    expect(posted[0]!.message.user_id).toBe("1");
    const rows = await h.messagesOf(b.channel.id);
    expect(rows.find((r) => r.origin === "phone")).toMatchObject({ direction: "out", status: "sent" });

    // 10.3 [UNVERIFIED whether it happens]: Bitrix24 hands the post back as an operator message by the app's user
    const [conversation] = await h.conversationsOf(b.channel.id);
    const operatorWrites = (imId: string, userId: string) =>
      h.event("ONIMCONNECTORMESSAGEADD", b.portal.memberId, b.portal.applicationToken, {
        CONNECTOR: "chatbridge",
        LINE: b.line,
        MESSAGES: [{ im: { chat_id: conversation!.crmChatId, message_id: imId }, message: { user_id: userId, text: "Добрый день! Договор получили." }, chat: { id: conversation!.id } }],
      });
    // the app's user is known from the post above (appUserId keeps it a few minutes)
    const profileCalls = h.fake.callsOf("profile").length;
    expect(await (await operatorWrites("99001", "1")).json()).toEqual({ ok: true, queued: 0, duplicates: 0, skipped: 1 });
    // an operator (another user) writing the same words is a real message
    expect(await (await operatorWrites("99002", "27")).json()).toEqual({ ok: true, queued: 1, duplicates: 0, skipped: 0 });
    expect(h.fake.callsOf("profile").length).toBe(profileCalls);
  });

  it("error: the app uninstalled before delivery -> the job is dead-lettered at once, the portal is not called, later webhooks are refused", async () => {
    const b = await h.boundChannel();
    await h.clientWrites(b, "hello?", `UNINST${b.line}`);
    expect((await h.event("ONAPPUNINSTALL", b.portal.memberId, b.portal.applicationToken)).status).toBe(200);
    const before = h.fake.restCalls.length;
    await h.runJobs(2);
    expect(h.fake.restCalls.length).toBe(before);
    const [message] = await h.messagesOf(b.channel.id);
    const job = (await h.jobsOf(CRM_DELIVER_JOB)).find((j) => (j.payload as { messageId: string }).messageId === message!.id);
    expect(job).toMatchObject({ status: "dead", attempts: 1 });
    expect(job!.lastError).toContain("channel was removed");
    // the uninstall took the channel out of service: its provider webhook URL no longer works
    expect((await h.clientWrites(b, "anyone there?", `UNINST2${b.line}`)).status).toBe(401);
  });
});
