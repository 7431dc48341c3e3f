import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel } from "../../../app/core/channels.js";
import { ROBOT_REPLY_JOB } from "../../../app/crm/bitrix24/automation/robot-reply.js";
import { channels, portals } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { newEventToken, postRobotRun } from "./automation-calls.js";
import { AutomationProviders } from "./automation-providers.js";
import { ConnectorHarness } from "./connector-harness.js";
import type { RestCall } from "./fake-bitrix24.js";

type RunAnswer = { ok: boolean; message_id?: string; duplicate?: boolean; error?: string; results?: Array<{ recipient: string; message_id?: string; error?: string }> };

describe.each(await backends())("Bitrix24 send robot with several recipients (%s)", (backend) => {
  const h = new ConnectorHarness(backend);
  const providers = new AutomationProviders();
  beforeAll(async () => {
    await h.start();
    await providers.start();
  });
  afterAll(async () => {
    await providers.close();
    await h.close();
  });

  const eventSends = (token: string): RestCall[] => h.fake.callsOf("bizproc.event.send").filter((c) => c.body.EVENT_TOKEN === token);
  const outOf = async (channelId: string, token: string) => (await h.messagesOf(channelId)).filter((m) => m.crmMessageId === token);

  it("happy: on a Belarusian portal the robot reads `8 029 …` as +375", async () => {
    const b = await h.boundChannel();
    await h.deps.db.update(portals).set({ settings: sql`${portals.settings} || '{"region":"BY"}'::jsonb` }).where(eq(portals.externalId, b.portal.memberId));
    const token = newEventToken();
    const res = await postRobotRun(h, b.portal, token, { phone: ["8 029 123-45-67", "8 (912) 000-11-22"], text: "Заказ готов", channel: b.channel.id });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as RunAnswer;
    expect(answer.results).toEqual([
      { recipient: "8 029 123-45-67", message_id: expect.any(String) },
      { recipient: "8 (912) 000-11-22", error: expect.stringContaining("Belarus") },
    ]);
    expect((await outOf(b.channel.id, token)).map((m) => m.peer)).toEqual(["375291234567"]);
  });

  it("happy: two phones and one invalid value -> two messages, one per-recipient error, one bizproc.event.send with a result per recipient", async () => {
    const b = await h.boundChannel();
    // no pacing, so both sends (and their statuses) happen in one round of the job runner
    await h.deps.db.update(channels).set({ paceMinMs: 0, paceJitterMs: 0 }).where(eq(channels.id, b.channel.id));
    const token = newEventToken();
    // Multiple "Y" (5.1) arrives as properties[phone][0..n] [U: the list shape is inferred from the bracket encoding]
    const properties = { phone: ["+7 911 557-63-66", "8 (912) 000-11-22", "12345"], text: "Акция до пятницы", channel: b.channel.id };
    const res = await postRobotRun(h, b.portal, token, properties);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as RunAnswer;
    expect(answer).toMatchObject({ ok: true, duplicate: false });
    expect(answer.results).toEqual([
      { recipient: "+7 911 557-63-66", message_id: expect.any(String) },
      { recipient: "8 (912) 000-11-22", message_id: expect.any(String) },
      { recipient: "12345", error: expect.stringContaining("phone: phone number is too short") },
    ]);
    expect(answer.message_id).toBe(answer.results![0]!.message_id);

    const out = await outOf(b.channel.id, token);
    expect(out.map((m) => [m.peer, m.dedupKey]).sort()).toEqual([
      ["79115576366", `b24robot:${b.portal.memberId}:${token}:79115576366`],
      ["79120001122", `b24robot:${b.portal.memberId}:${token}:79120001122`],
    ]);
    // nothing is answered before the messages have their verdicts
    expect(eventSends(token)).toHaveLength(0);

    // one round, no clock moved: the last status brings the reply forward instead of waiting for the next look
    await h.runJobs(1);
    expect(h.wappiSends().filter((s) => s.body === "Акция до пятницы").map((s) => s.recipient).sort()).toEqual(["79115576366", "79120001122"]);
    const replies = eventSends(token);
    expect(replies).toHaveLength(1);
    const first = out.find((m) => m.peer === "79115576366")!;
    const second = out.find((m) => m.peer === "79120001122")!;
    expect(replies[0]!.body).toMatchObject({
      EVENT_TOKEN: token,
      RETURN_VALUES: {
        // the first recipient's, as with one phone
        message_id: first.id,
        status: "sent",
        error: "",
        results: [`+7 911 557-63-66: sent ${first.id}`, `8 (912) 000-11-22: sent ${second.id}`, "12345: failed: phone: phone number is too short (5 digits)"].join("\n"),
        sent_count: "2",
        failed_count: "1",
      },
      LOG_MESSAGE: "chatbridge: 2 of 3 messages sent, 1 not sent",
    });
  });

  it("happy: a redelivered run (Bitrix24 repeating the call) sends nothing twice and answers once", async () => {
    const b = await h.boundChannel();
    const token = newEventToken();
    const properties = { phone: "79115576366, 79120001122", text: "Один раз", channel: b.channel.id };
    const first = (await (await postRobotRun(h, b.portal, token, properties)).json()) as RunAnswer;
    await h.runJobs(1);
    const again = (await (await postRobotRun(h, b.portal, token, properties)).json()) as RunAnswer;
    expect(again).toEqual({ ...first, duplicate: true });
    await h.runJobs(4);
    const third = (await (await postRobotRun(h, b.portal, token, properties)).json()) as RunAnswer;
    expect(third.results).toEqual(first.results);
    await h.runJobs(2);

    expect(await outOf(b.channel.id, token)).toHaveLength(2);
    expect(h.wappiSends().filter((s) => s.body === "Один раз")).toHaveLength(2);
    expect(eventSends(token)).toHaveLength(1);
    expect(eventSends(token)[0]!.body.RETURN_VALUES).toMatchObject({ sent_count: "2", failed_count: "0" });
    expect((await h.jobsOf(ROBOT_REPLY_JOB)).filter((j) => j.dedupKey === `${ROBOT_REPLY_JOB}:${b.portal.memberId}:${token}`)).toHaveLength(1);
  });

  it("happy: one string may list recipients separated by semicolons and line breaks; the same number twice is one message; an @username is refused", async () => {
    const b = await h.boundChannel();
    const token = newEventToken();
    // "default": the channel select's default option (robot-properties.ts), the portal's default channel
    const res = await postRobotRun(h, b.portal, token, { phone: "79115576366;\n+7 912 000 11 22\n8 911 557 63 66\n@ivan_petrov", text: "Привет", channel: "default" });
    const answer = (await res.json()) as RunAnswer;
    expect(answer.results!.map((r) => r.recipient)).toEqual(["79115576366", "+7 912 000 11 22", "@ivan_petrov"]);
    expect(answer.results![2]!.error).toMatch(/cannot find a chat by @username: use the phone number/);
    await h.runJobs(4);
    expect(await outOf(b.channel.id, token)).toHaveLength(2);
    expect(eventSends(token)[0]!.body.RETURN_VALUES).toMatchObject({ status: "sent", sent_count: "2", failed_count: "1" });
  });

  it("happy: a Telegram bot channel writes to a chat id; a phone is refused for that recipient (the bot cannot write first)", async () => {
    const b = await h.boundChannel();
    const portal = await h.portalRow(b.portal.memberId);
    const { channel: bot } = await createChannel(h.deps.db, h.deps.keyring, { portalId: portal!.id, provider: "telegram", name: "Support bot", credentials: providers.telegramCredentials() });
    providers.startedChats.add("5012345678");
    const token = newEventToken();
    const res = await postRobotRun(h, b.portal, token, { phone: ["5012345678", "+7 911 557-63-66", "@ivan"], text: "Ваш заказ отправлен", channel: bot.id });
    const answer = (await res.json()) as RunAnswer;
    expect(answer.results).toEqual([
      { recipient: "5012345678", message_id: expect.any(String) },
      { recipient: "+7 911 557-63-66", error: expect.stringContaining("cannot write first to a phone number") },
      { recipient: "@ivan", error: expect.stringContaining("a client who started the bot") },
    ]);
    const [message, ...more] = await outOf(bot.id, token);
    expect(more).toHaveLength(0);
    expect(message).toMatchObject({ peer: "chat:5012345678", dedupKey: `b24robot:${b.portal.memberId}:${token}:chat:5012345678` });

    await h.runJobs(4);
    expect(providers.telegramSends.filter((s) => s.chat_id === "5012345678")).toHaveLength(1);
    const values = eventSends(token)[0]!.body.RETURN_VALUES as Record<string, string>;
    expect(values).toMatchObject({ message_id: message!.id, status: "delivered", sent_count: "1", failed_count: "2" });
    expect(values.results!.split("\n")[1]).toMatch(/^\+7 911 557-63-66: failed: a Telegram Bot API channel cannot write first/);
  });

  it("error: every recipient refused -> nothing queued, the process is answered at once with each reason", async () => {
    const b = await h.boundChannel();
    const token = newEventToken();
    const res = await postRobotRun(h, b.portal, token, { phone: ["12", "@someone"], text: "x" });
    expect(((await res.json()) as RunAnswer).error).toContain("phone: phone number is too short");
    await h.runJobs(1);
    expect(await outOf(b.channel.id, token)).toHaveLength(0);
    expect(eventSends(token)[0]!.body.RETURN_VALUES).toMatchObject({ message_id: "", status: "failed", sent_count: "0", failed_count: "2" });
  });

  it("error: messages without a verdict when the process stops waiting (5.2 timeout_duration [U]) are reported queued; the reply goes once", async () => {
    const b = await h.boundChannel();
    const portal = await h.portalRow(b.portal.memberId);
    // a phone-gateway channel: messages wait for the phone to fetch them, so they stay queued here
    const { channel: phone } = await createChannel(h.deps.db, h.deps.keyring, { portalId: portal!.id, provider: "gateway", name: "Office phone", credentials: {} });
    const token = newEventToken();
    const res = await postRobotRun(h, b.portal, token, { phone: "79115576366,79120001122", text: "Таймаут", channel: phone.id }, { timeoutDuration: "150" });
    expect(res.status).toBe(200);
    await h.runJobs(1);
    expect(eventSends(token)).toHaveLength(0);
    await h.runJobs(2);
    const replies = eventSends(token);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body.RETURN_VALUES).toMatchObject({ status: "queued", error: "", sent_count: "0", failed_count: "0" });
    expect(replies[0]!.body.LOG_MESSAGE).toBe("chatbridge: 0 of 2 messages sent, 2 without an answer yet");
    await h.runJobs(3);
    expect(eventSends(token)).toHaveLength(1);
  });

  it("[U] error: a portal refusing the new return keys (robots registered before them, 5.3) is answered with message_id, status and error only", async () => {
    const b = await h.boundChannel();
    const token = newEventToken();
    await postRobotRun(h, b.portal, token, { phone: "12", text: "x" });
    h.fake.answerNext("bizproc.event.send", { status: 400, body: { error: "ERROR_ACTIVITY_VALIDATION_FAILURE", error_description: "Unknown return value results" } });
    await h.runJobs(1);
    const replies = eventSends(token);
    expect(replies).toHaveLength(2);
    expect(replies[1]!.body.RETURN_VALUES).toEqual({ message_id: "", status: "failed", error: expect.stringContaining("phone: phone number is too short") });
  });
});
