import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel } from "../../../app/core/channels.js";
import { MIRROR_OUTGOING_JOB } from "../../../app/core/webhook-send.js";
import { CHECK_PHONE_JOB } from "../../../app/crm/bitrix24/automation/check-phone.js";
import { WAPPI_KNOWN_PHONE } from "../../providers/wappi/fake.js";
import { backends } from "../../support/db.js";
import { newEventToken, postRobotRun } from "./automation-calls.js";
import { ConnectorHarness } from "./connector-harness.js";
import type { RestCall } from "./fake-bitrix24.js";

describe.each(await backends())("Bitrix24 robots 'Send file', 'Check number' and send to Open Line (%s)", (backend) => {
  const h = new ConnectorHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  const eventSends = (token: string): RestCall[] => h.fake.callsOf("bizproc.event.send").filter((c) => c.body.EVENT_TOKEN === token);
  const wappiChecks = () => h.wappi.requests.filter((r) => r.path.endsWith("/contact/check")).map((r) => r.query.get("phone"));

  it("happy: send-file sends the link through Wappi with the caption, and the process is answered once", async () => {
    const b = await h.boundChannel();
    const token = newEventToken();
    const properties = { channel: b.channel.id, phone: "+7 911 557-63-66", file_url: "https://portal.example/disk/offer.pdf", caption: "Предложение" };
    const res = await postRobotRun(h, b.portal, token, properties, { code: "chatbridge_send_file" });
    const body = (await res.json()) as { ok: boolean; message_id: string; duplicate: boolean };
    expect(body).toMatchObject({ ok: true, duplicate: false });
    await postRobotRun(h, b.portal, token, properties, { code: "chatbridge_send_file" });

    const sendsBefore = h.wappiSends().length;
    await h.runJobs(3);
    expect(h.wappiSends().slice(sendsBefore)).toEqual([{ recipient: "79115576366", url: "https://portal.example/disk/offer.pdf", caption: "Предложение" }]);
    expect(h.wappi.violations).toEqual([]);
    const replies = eventSends(token);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body.RETURN_VALUES).toEqual({
      message_id: body.message_id,
      status: "sent",
      error: "",
      results: `+7 911 557-63-66: sent ${body.message_id}`,
      sent_count: "1",
      failed_count: "0",
    });
    // send_to_ol left out: nothing goes into the Open Line
    expect((await h.jobsOf(MIRROR_OUTGOING_JOB)).filter((j) => JSON.stringify(j.payload).includes(body.message_id))).toHaveLength(0);
  });

  it("error: send-file without a link is refused and the reason goes back to the process; nothing is sent", async () => {
    const b = await h.boundChannel();
    const token = newEventToken();
    const res = await postRobotRun(h, b.portal, token, { channel: b.channel.id, phone: "79115576366", file_url: " ", caption: "x" }, { code: "chatbridge_send_file_bp" });
    expect(await res.json()).toEqual({ ok: true, error: "file_url is empty" });
    await h.runJobs(1);
    expect(eventSends(token)[0]!.body.RETURN_VALUES).toEqual({
      message_id: "",
      status: "failed",
      error: "file_url is empty",
      results: "79115576366: failed: file_url is empty",
      sent_count: "0",
      failed_count: "1",
    });
    expect((await h.messagesOf(b.channel.id)).filter((m) => m.direction === "out")).toHaveLength(0);
  });

  it("happy: check-phone answers exists=Y for the number Wappi knows and N for another, once per run", async () => {
    const b = await h.boundChannel();
    const known = newEventToken();
    const unknown = newEventToken();
    const before = wappiChecks().length;
    const res = await postRobotRun(h, b.portal, known, { channel: b.line, phone: `+${WAPPI_KNOWN_PHONE}` }, { code: "chatbridge_check_phone" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    // Bitrix24 repeating the call is not a second check
    await postRobotRun(h, b.portal, known, { channel: b.line, phone: `+${WAPPI_KNOWN_PHONE}` }, { code: "chatbridge_check_phone" });
    await postRobotRun(h, b.portal, unknown, { phone: "79001112233" }, { code: "chatbridge_check_phone_bp" });
    // the handler answered before the provider was asked
    expect(wappiChecks().length).toBe(before);
    await h.runJobs(2);

    expect(wappiChecks().slice(before).sort()).toEqual(["79001112233", WAPPI_KNOWN_PHONE].sort());
    expect(h.wappi.violations).toEqual([]);
    expect(eventSends(known)).toHaveLength(1);
    expect(eventSends(known)[0]!.body).toMatchObject({ RETURN_VALUES: { exists: "Y", error: "" }, LOG_MESSAGE: "chatbridge: number has the messenger" });
    expect(eventSends(unknown)).toHaveLength(1);
    expect(eventSends(unknown)[0]!.body.RETURN_VALUES).toEqual({ exists: "N", error: "" });
    expect((await h.jobsOf(CHECK_PHONE_JOB)).filter((j) => JSON.stringify(j.payload).includes(known))).toHaveLength(1);
  });

  it("error: a channel whose provider cannot check numbers answers an error value, without failing the job", async () => {
    const b = await h.boundChannel();
    const row = await h.portalRow(b.portal.memberId);
    const { channel: gateway } = await createChannel(h.deps.db, h.deps.keyring, { portalId: row!.id, provider: "gateway", name: "phone", credentials: {} });
    const token = newEventToken();
    await postRobotRun(h, b.portal, token, { channel: gateway.id, phone: WAPPI_KNOWN_PHONE }, { code: "chatbridge_check_phone" });
    await h.runJobs(1);
    const [reply] = eventSends(token);
    expect(reply!.body.RETURN_VALUES).toEqual({ exists: "N", error: expect.stringContaining("cannot check whether a number has the messenger") });
    const [job] = (await h.jobsOf(CHECK_PHONE_JOB)).filter((j) => JSON.stringify(j.payload).includes(token));
    expect(job!.status).toBe("done");
  });

  it("error: check-phone with a bad number answers the reason as the error value", async () => {
    const b = await h.boundChannel();
    const token = newEventToken();
    const res = await postRobotRun(h, b.portal, token, { channel: b.channel.id, phone: "12345" }, { code: "chatbridge_check_phone" });
    expect(((await res.json()) as { error: string }).error).toContain("phone:");
    await h.runJobs(1);
    expect(eventSends(token)[0]!.body.RETURN_VALUES).toEqual({ exists: "N", error: expect.stringContaining("phone:") });
  });

  it("happy: send_to_ol=Y on a bound channel writes the mirror job with the message and posts it into the Open Line chat", async () => {
    const b = await h.boundChannel();
    const token = newEventToken();
    const res = await postRobotRun(h, b.portal, token, { channel: b.channel.id, phone: "79115576366", text: "Ваш заказ отправлен", send_to_ol: "Y" });
    const { message_id } = (await res.json()) as { message_id: string };
    const mirrorJobs = (await h.jobsOf(MIRROR_OUTGOING_JOB)).filter((j) => JSON.stringify(j.payload) === JSON.stringify({ messageId: message_id }));
    expect(mirrorJobs).toHaveLength(1);
    const [stored] = (await h.messagesOf(b.channel.id)).filter((m) => m.id === message_id);
    expect(stored!.sendToImol).toBe(true);

    h.fake.answerNext("profile", { status: 200, body: { result: { ID: "1", ADMIN: true, NAME: "Anna" } } });
    await h.runJobs(4);
    const [mirror] = h.fake.callsOf("imconnector.send.messages").filter((c) => c.body.LINE === b.line);
    const [conversation] = await h.conversationsOf(b.channel.id);
    expect(mirror!.body.MESSAGES).toEqual([
      {
        user: { id: conversation!.id, phone: "+79115576366", url: "https://wa.me/79115576366" },
        message: { id: message_id, date: String(Math.floor(stored!.createdAt.getTime() / 1000)), text: "Ваш заказ отправлен", user_id: "1" },
        chat: { id: conversation!.id, url: "https://wa.me/79115576366" },
      },
    ]);
    expect((await h.jobsOf(MIRROR_OUTGOING_JOB)).find((j) => j.id === mirrorJobs[0]!.id)!.status).toBe("done");
    expect(eventSends(token)[0]!.body.RETURN_VALUES).toMatchObject({ status: "sent" });
  });

  it("happy: send_to_ol=Y on a channel bound to no line sends without a mirror job", async () => {
    const b = await h.boundChannel();
    const row = await h.portalRow(b.portal.memberId);
    const { channel } = await createChannel(h.deps.db, h.deps.keyring, {
      portalId: row!.id,
      provider: "wappi",
      name: "Unbound",
      credentials: { apiToken: "unused", profileId: "unused", apiUrl: h.wappiServer.url },
    });
    const res = await postRobotRun(h, b.portal, newEventToken(), { channel: channel.id, phone: "79115576366", text: "Hallo", send_to_ol: "Y" });
    const { message_id } = (await res.json()) as { message_id: string };
    expect(message_id).toBeTruthy();
    expect((await h.jobsOf(MIRROR_OUTGOING_JOB)).filter((j) => JSON.stringify(j.payload).includes(message_id))).toHaveLength(0);
    const [stored] = (await h.messagesOf(channel.id)).filter((m) => m.id === message_id);
    expect(stored!.sendToImol).toBe(false);
  });
});
