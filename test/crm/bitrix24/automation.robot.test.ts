import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordStatus } from "../../../app/core/messages/record-status.js";
import { ROBOT_REPLY_JOB } from "../../../app/crm/bitrix24/automation/robot-reply.js";
import { backends } from "../../support/db.js";
import { newEventToken, postRobotRun } from "./automation-calls.js";
import { ConnectorHarness } from "./connector-harness.js";
import type { RestCall } from "./fake-bitrix24.js";

describe.each(await backends())("Bitrix24 robot 'Send WhatsApp/Telegram message' (%s)", (backend) => {
  const h = new ConnectorHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  const eventSends = (token: string): RestCall[] => h.fake.callsOf("bizproc.event.send").filter((c) => c.body.EVENT_TOKEN === token);

  it("happy: a run posted twice sends once through Wappi, then bizproc.event.send carries the token and return values once", async () => {
    const b = await h.boundChannel();
    const token = newEventToken();
    const properties = { phone: "+7 911 557-63-66", text: "Ваш заказ готов", channel: b.channel.id };
    const first = await postRobotRun(h, b.portal, token, properties);
    expect(first.status).toBe(200);
    const firstBody = (await first.json()) as { ok: boolean; message_id: string; duplicate: boolean };
    expect(firstBody).toMatchObject({ ok: true, duplicate: false });
    const again = await postRobotRun(h, b.portal, token, properties);
    expect(await again.json()).toEqual({ ok: true, message_id: firstBody.message_id, duplicate: true });

    const out = (await h.messagesOf(b.channel.id)).filter((m) => m.direction === "out");
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ origin: "robot", crmMessageId: token, dedupKey: `b24robot:${b.portal.memberId}:${token}`, peer: "79115576366" });

    const sendsBefore = h.wappiSends().length;
    await h.runJobs(3);
    expect(h.wappiSends().slice(sendsBefore)).toEqual([{ body: "Ваш заказ готов", recipient: "79115576366" }]);
    expect(h.wappi.violations).toEqual([]);

    const replies = eventSends(token);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body).toMatchObject({
      EVENT_TOKEN: token,
      RETURN_VALUES: { message_id: firstBody.message_id, status: "sent", error: "" },
      LOG_MESSAGE: "chatbridge: message sent",
    });
    expect(replies[0]!.body.auth).toBe(await h.storedAccessToken(b.portal.memberId));

    // later statuses of the same run do not answer the process again (5.3: one answer per run)
    const [sent] = (await h.messagesOf(b.channel.id)).filter((m) => m.crmMessageId === token);
    await recordStatus(h.deps, sent!, { status: "delivered", at: h.clock.now() });
    await h.runJobs(2);
    expect(eventSends(token)).toHaveLength(1);
    expect((await h.jobsOf(ROBOT_REPLY_JOB)).filter((j) => j.dedupKey === `${ROBOT_REPLY_JOB}:${b.portal.memberId}:${token}`)).toHaveLength(1);
  });

  it("happy: the channel may be named by its Open Line id, and a file URL goes out as a file with the text as caption", async () => {
    const b = await h.boundChannel();
    const token = newEventToken();
    const res = await postRobotRun(h, b.portal, token, { phone: "89115576366", text: "Счёт", channel: b.line, file_url: "https://portal.example/disk/invoice.pdf" });
    expect(await res.json()).toMatchObject({ ok: true, duplicate: false });
    const sendsBefore = h.wappiSends().length;
    await h.runJobs(3);
    expect(h.wappiSends().slice(sendsBefore)).toEqual([{ recipient: "79115576366", url: "https://portal.example/disk/invoice.pdf", caption: "Счёт" }]);
    expect(eventSends(token)[0]!.body.RETURN_VALUES).toMatchObject({ status: "sent", error: "" });
  });

  it("error: a run for an unknown channel is answered 200, queues nothing, and the error goes back through bizproc.event.send", async () => {
    const b = await h.boundChannel();
    const other = await h.boundChannel();
    for (const channel of ["5d0f1a9e-3c1b-4d7a-9f0e-2b6c8a4d1e77", other.channel.id, "999999"]) {
      const token = newEventToken();
      const res = await postRobotRun(h, b.portal, token, { phone: "79115576366", text: "Hallo", channel });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { error: string }).error).toMatch(/unknown channel|no chatbridge channel is connected to Open Line 999999/);
      // Bitrix24 repeating the call must not answer twice either
      await postRobotRun(h, b.portal, token, { phone: "79115576366", text: "Hallo", channel });
      await h.runJobs(1);
      const replies = eventSends(token);
      expect(replies).toHaveLength(1);
      expect(replies[0]!.body.RETURN_VALUES).toMatchObject({ message_id: "", status: "failed", error: expect.stringContaining(channel) });
    }
    expect((await h.messagesOf(b.channel.id)).filter((m) => m.direction === "out")).toHaveLength(0);
    expect((await h.messagesOf(other.channel.id)).filter((m) => m.direction === "out")).toHaveLength(0);
  });

  it("error: a number that is not a phone is reported back as the run's error", async () => {
    const b = await h.boundChannel();
    const token = newEventToken();
    await postRobotRun(h, b.portal, token, { phone: "12345", text: "Hallo" });
    await h.runJobs(1);
    expect(eventSends(token)[0]!.body.RETURN_VALUES).toMatchObject({ status: "failed", error: expect.stringContaining("phone: phone number is too short") });
  });

  it("error: a send the provider refuses answers the process with status failed and the provider's reason", async () => {
    const b = await h.boundChannel();
    const token = newEventToken();
    await postRobotRun(h, b.portal, token, { phone: "79001112233", text: "Hallo" });
    h.wappi.answerNext({ status: 400, body: { status: "error", detail: "Recipient is not on WhatsApp" } });
    await h.runJobs(3);
    const [failed] = (await h.messagesOf(b.channel.id)).filter((m) => m.crmMessageId === token);
    expect(failed!.status).toBe("failed");
    const replies = eventSends(token);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body.RETURN_VALUES).toMatchObject({ message_id: failed!.id, status: "failed", error: expect.stringContaining("Recipient is not on WhatsApp") });
  });

  it("happy: a run that does not wait (use_subscription=N, 5.1) is sent and not answered", async () => {
    const b = await h.boundChannel();
    const token = newEventToken();
    await postRobotRun(h, b.portal, token, { phone: "79115576366", text: "FYI" }, { useSubscription: "N" });
    await h.runJobs(3);
    const [sent] = (await h.messagesOf(b.channel.id)).filter((m) => m.dedupKey === `b24robot:${b.portal.memberId}:${token}`);
    expect(sent!.status).toBe("sent");
    expect(eventSends(token)).toHaveLength(0);
  });

  it("happy: the BP designer's activity (its own code, 5.1) reaches the same handler and is answered the same way", async () => {
    const b = await h.boundChannel();
    const token = newEventToken();
    const res = await postRobotRun(h, b.portal, token, { phone: "79115576366", text: "Aus dem Designer" }, { code: "chatbridge_send_bp" });
    expect(await res.json()).toMatchObject({ ok: true, duplicate: false });
    await h.runJobs(3);
    expect(eventSends(token).map((c) => (c.body.RETURN_VALUES as { status: string }).status)).toEqual(["sent"]);
  });

  it("security: a wrong application_token -> 401 and nothing queued or answered", async () => {
    const b = await h.boundChannel();
    const token = newEventToken();
    const res = await postRobotRun(h, b.portal, token, { phone: "79115576366", text: "pwned", channel: b.channel.id }, { applicationToken: "f9ac5db5ad4adbdee13eb034207d8fbd" });
    expect(res.status).toBe(401);
    await h.runJobs(1);
    expect((await h.messagesOf(b.channel.id)).filter((m) => m.direction === "out")).toHaveLength(0);
    expect(eventSends(token)).toHaveLength(0);
  });

  it("error: an unknown robot code -> 404; a call without event_token -> 400; neither queues anything", async () => {
    const b = await h.boundChannel();
    const unknown = await postRobotRun(h, b.portal, newEventToken(), { phone: "79115576366", text: "x" }, { code: "acme_send_wa" });
    expect(unknown.status).toBe(404);
    const noToken = await postRobotRun(h, b.portal, "", { phone: "79115576366", text: "x" });
    expect(noToken.status).toBe(400);
    expect(await noToken.json()).toMatchObject({ ok: false, error: "invalid_body" });
    expect((await h.messagesOf(b.channel.id)).filter((m) => m.direction === "out")).toHaveLength(0);
  });
});
