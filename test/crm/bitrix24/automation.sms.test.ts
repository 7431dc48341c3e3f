import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordStatus } from "../../../app/core/messages/record-status.js";
import { backends } from "../../support/db.js";
import { postSms } from "./automation-calls.js";
import { ConnectorHarness } from "./connector-harness.js";

describe.each(await backends())("Bitrix24 SMS sender (%s)", (backend) => {
  const h = new ConnectorHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  let smsSerial = 0;
  const newSmsId = () => `4f2c9a0e7b1d4c3a8e6f${String(++smsSerial).padStart(12, "0")}`;
  /** STATUS values sent for one Bitrix message id, in order. */
  const statusesOf = (smsId: string) =>
    h.fake.callsOf("messageservice.message.status.update").filter((c) => c.body.MESSAGE_ID === smsId).map((c) => c.body.STATUS);

  it("happy: an SMS posted twice goes out once through the default channel; sent, delivered and read go back as sent, delivered (6 has no read)", async () => {
    const b = await h.boundChannel();
    const smsId = newSmsId();
    const first = await postSms(h, b.portal, smsId, "+79115576366", "Ваш код: 4711");
    expect(first.status).toBe(200);
    const { message_id } = (await first.json()) as { message_id: string };
    const again = await postSms(h, b.portal, smsId, "+79115576366", "Ваш код: 4711");
    expect(await again.json()).toEqual({ ok: true, message_id, duplicate: true });

    const out = (await h.messagesOf(b.channel.id)).filter((m) => m.direction === "out");
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ id: message_id, origin: "sms", crmMessageId: smsId, dedupKey: `b24sms:${b.portal.memberId}:${smsId}`, peer: "79115576366" });

    const sendsBefore = h.wappiSends().length;
    await h.runJobs(3);
    expect(h.wappiSends().slice(sendsBefore)).toEqual([{ body: "Ваш код: 4711", recipient: "79115576366" }]);
    expect(statusesOf(smsId)).toEqual(["sent"]);
    const [update] = h.fake.callsOf("messageservice.message.status.update").filter((c) => c.body.MESSAGE_ID === smsId);
    expect(update!.body).toEqual({ CODE: "chatbridge_sms", MESSAGE_ID: smsId, STATUS: "sent", auth: await h.storedAccessToken(b.portal.memberId) });

    let [message] = (await h.messagesOf(b.channel.id)).filter((m) => m.id === message_id);
    await recordStatus(h.deps, message!, { status: "delivered", at: h.clock.now() });
    await h.runJobs(1);
    [message] = (await h.messagesOf(b.channel.id)).filter((m) => m.id === message_id);
    await recordStatus(h.deps, message!, { status: "read", at: h.clock.now() });
    await h.runJobs(1);
    expect(statusesOf(smsId)).toEqual(["sent", "delivered"]);
  });

  it("happy: read without a delivered report before it is reported as delivered", async () => {
    const b = await h.boundChannel();
    const smsId = newSmsId();
    const res = await postSms(h, b.portal, smsId, "89115576366", "Добрый день");
    const { message_id } = (await res.json()) as { message_id: string };
    await h.runJobs(3);
    const [message] = (await h.messagesOf(b.channel.id)).filter((m) => m.id === message_id);
    await recordStatus(h.deps, message!, { status: "read", at: h.clock.now() });
    await h.runJobs(1);
    expect(statusesOf(smsId)).toEqual(["sent", "delivered"]);
  });

  it("error: a number without WhatsApp (Wappi refuses the send) is reported failed", async () => {
    const b = await h.boundChannel();
    const smsId = newSmsId();
    await postSms(h, b.portal, smsId, "+79001112233", "Hallo");
    h.wappi.answerNext({ status: 400, body: { status: "error", detail: "Recipient is not on WhatsApp" } });
    await h.runJobs(3);
    const [message] = (await h.messagesOf(b.channel.id)).filter((m) => m.crmMessageId === smsId);
    expect(message!.status).toBe("failed");
    expect(statusesOf(smsId)).toEqual(["failed"]);
  });

  it("error: a portal without any channel answers 200 and reports the SMS failed, once even when posted twice", async () => {
    const portal = await h.installed();
    await h.runJobs(1);
    const smsId = newSmsId();
    const res = await postSms(h, portal, smsId, "+79115576366", "Hallo");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, error: "the portal has no chatbridge channel" });
    await postSms(h, portal, smsId, "+79115576366", "Hallo");
    await h.runJobs(1);
    const updates = h.fake.callsOf("messageservice.message.status.update").filter((c) => c.body.MESSAGE_ID === smsId);
    expect(updates.map((c) => c.body)).toEqual([{ CODE: "chatbridge_sms", MESSAGE_ID: smsId, STATUS: "failed", auth: await h.storedAccessToken(portal.memberId) }]);
  });

  it("error: an unusable number is reported failed without sending", async () => {
    const b = await h.boundChannel();
    const smsId = newSmsId();
    const res = await postSms(h, b.portal, smsId, "12-34", "Hallo");
    expect(((await res.json()) as { error: string }).error).toContain("message_to: phone number is too short");
    await h.runJobs(1);
    expect(statusesOf(smsId)).toEqual(["failed"]);
    expect((await h.messagesOf(b.channel.id)).filter((m) => m.direction === "out")).toHaveLength(0);
  });

  it("security: a wrong application_token -> 401, nothing queued or reported", async () => {
    const b = await h.boundChannel();
    const smsId = newSmsId();
    const res = await postSms(h, b.portal, smsId, "+79115576366", "pwned", { applicationToken: "51856fefc120afa4b628cc82d3935cce" });
    expect(res.status).toBe(401);
    await h.runJobs(1);
    expect((await h.messagesOf(b.channel.id)).filter((m) => m.direction === "out")).toHaveLength(0);
    expect(statusesOf(smsId)).toEqual([]);
  });
});
