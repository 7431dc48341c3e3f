import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRM_DELIVER_JOB } from "../../../app/core/messages/inbound.js";
import { queueOutgoing } from "../../../app/core/messages/outgoing.js";
import { MIRROR_OUTGOING_JOB } from "../../../app/core/webhook-send.js";
import { lineBindings } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { ConnectorHarness } from "./connector-harness.js";

describe.each(await backends())("Open Lines connector: line events and send_to_imol mirror (%s)", (backend) => {
  const h = new ConnectorHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  const bindingOf = async (channelId: string) => (await h.t.db.select().from(lineBindings).where(eq(lineBindings.channelId, channelId)))[0]!;

  it("happy: ONIMCONNECTORLINEDELETE (data = line id) deactivates the binding; client messages stop going to the CRM", async () => {
    const b = await h.boundChannel();
    const res = await h.postForm("/b24/events", {
      event: "ONIMCONNECTORLINEDELETE",
      data: b.line,
      ts: "1466439714",
      auth: { domain: h.fake.host, member_id: b.portal.memberId, application_token: b.portal.applicationToken },
    });
    expect(await res.json()).toEqual({ ok: true, deactivated: 1 });
    expect((await bindingOf(b.channel.id)).active).toBe(false);
    await h.clientWrites(b, "anyone?", `LD${b.line}`);
    const [message] = await h.messagesOf(b.channel.id);
    expect((await h.jobsOf(CRM_DELIVER_JOB)).some((j) => (j.payload as { messageId: string }).messageId === message!.id)).toBe(false);
  });

  it("happy: ONIMCONNECTORSTATUSDELETE with lowercase data[connector], data[line] deactivates our binding only", async () => {
    const b = await h.boundChannel();
    const foreign = await h.event("ONIMCONNECTORSTATUSDELETE", b.portal.memberId, b.portal.applicationToken, { connector: "acme_wa", line: b.line });
    expect(await foreign.json()).toEqual({ ok: true, ignored: "ONIMCONNECTORSTATUSDELETE" });
    expect((await bindingOf(b.channel.id)).active).toBe(true);
    const ours = await h.event("ONIMCONNECTORSTATUSDELETE", b.portal.memberId, b.portal.applicationToken, { connector: "chatbridge", line: b.line });
    expect(await ours.json()).toEqual({ ok: true, deactivated: 1 });
    expect((await bindingOf(b.channel.id)).active).toBe(false);
  });

  it("security: another portal's line delete naming the same line number changes nothing", async () => {
    const b = await h.boundChannel();
    const other = await h.installed();
    const res = await h.event("ONIMCONNECTORSTATUSDELETE", other.memberId, other.applicationToken, { connector: "chatbridge", line: b.line });
    expect(await res.json()).toEqual({ ok: true, deactivated: 0 });
    expect((await bindingOf(b.channel.id)).active).toBe(true);
  });

  it("happy: send_to_imol mirrors the API message into the chat after the provider took it, as the app's user (4, message.user_id: current docs only)", async () => {
    const b = await h.boundChannel();
    const { message } = await queueOutgoing(h.deps, {
      channel: b.channel,
      peer: { phone: "79115576366" },
      content: { type: "text", text: "Ihr Termin ist morgen um 10:00" },
      origin: "webhook_api",
      dedupKey: `api:test:${b.line}`,
      sendToImol: true,
      extraJobs: (id) => [{ kind: MIRROR_OUTGOING_JOB, payload: { messageId: id }, dedupKey: `${MIRROR_OUTGOING_JOB}:${id}` }],
    });
    h.fake.answerNext("profile", { status: 200, body: { result: { ID: "1", ADMIN: true, NAME: "Anna" } } });
    const sendsBefore = h.wappiSends().length;
    await h.runJobs(4);
    expect(h.wappiSends().slice(sendsBefore)).toEqual([{ body: "Ihr Termin ist morgen um 10:00", recipient: "79115576366" }]);
    const [mirror] = h.fake.callsOf("imconnector.send.messages").filter((c) => c.body.LINE === b.line);
    const [conversation] = await h.conversationsOf(b.channel.id);
    expect(mirror!.body.MESSAGES).toEqual([
      {
        user: { id: conversation!.id, phone: "+79115576366", url: "https://wa.me/79115576366" },
        message: { id: message.id, date: String(Math.floor(message.createdAt.getTime() / 1000)), text: "Ihr Termin ist morgen um 10:00", user_id: "1" },
        chat: { id: conversation!.id, url: "https://wa.me/79115576366" },
      },
    ]);
    expect(conversation!.crmChatId).toBe(h.fake.imChatOf(conversation!.id));
    expect((await h.jobsOf(MIRROR_OUTGOING_JOB)).find((j) => (j.payload as { messageId: string }).messageId === message.id)!.status).toBe("done");

    // if the manager-authored post comes back as an operator event (UNVERIFIED, 4), it is not sent again
    const echo = await h.event("ONIMCONNECTORMESSAGEADD", b.portal.memberId, b.portal.applicationToken, {
      CONNECTOR: "chatbridge",
      LINE: b.line,
      MESSAGES: [{ im: { chat_id: conversation!.crmChatId!, message_id: "90001" }, message: { user_id: "1", text: "[b]Anna Admin:[/b][br]Ihr Termin ist morgen um 10:00" }, chat: { id: conversation!.id } }],
    });
    expect(await echo.json()).toEqual({ ok: true, queued: 0, duplicates: 0, skipped: 1 });
  });
});
