import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SALESBOT_CONTINUE_JOB } from "../../../app/crm/amocrm/automation/salesbot-continue.js";
import { backends } from "../../support/db.js";
import { AmoAutomationHarness } from "./automation-harness.js";

describe.each(await backends())("amoCRM Salesbot widget_request, failures (%s)", (backend) => {
  const h = new AmoAutomationHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  const status = (returnUrl: string) => h.continuesOf(returnUrl).map((c) => (c.body as { data: Record<string, string> }).data);

  it("a send the provider refuses continues the bot once with status fail and the provider's reason", async () => {
    const account = await h.seedAccount();
    const channel = await h.channel(account);
    const returnUrl = h.returnUrl();
    await h.post("/amocrm/salesbot", { token: await h.botToken(account.accountId), data: { text: "Hallo", phone: "79001112233" }, return_url: returnUrl });
    h.wappi.answerNext({ status: 400, body: { status: "error", detail: "Recipient is not on WhatsApp" } });
    await h.runJobs();
    const [failed] = await h.messagesOf(channel.id);
    expect(failed!.status).toBe("failed");
    expect(status(returnUrl)).toEqual([{ status: "fail", message_id: failed!.id, error: expect.stringContaining("Recipient is not on WhatsApp") }]);
    expect(h.continuesOf(returnUrl)[0]!.body).toMatchObject({ execute_handlers: [] });
  });

  it("a lead without a contact continues the bot with fail and sends nothing", async () => {
    const account = await h.seedAccount();
    const channel = await h.channel(account);
    h.amo.setContacts([{ phones: ["79115576366"], leads: [] }]);
    h.amo.leads.set(7_700_303, { id: 7_700_303, name: "Orphan", pipeline_id: 7001, status_id: 41001 });
    const returnUrl = h.returnUrl();
    const res = await h.post("/amocrm/salesbot", { token: await h.botToken(account.accountId, { entity_type: 2, entity_id: 7_700_303 }), data: { text: "x" }, return_url: returnUrl });
    expect(res.status).toBe(200);
    await h.runJobs();
    expect(await h.messagesOf(channel.id)).toHaveLength(0);
    expect(status(returnUrl)).toEqual([{ status: "fail", message_id: "", error: "lead 7700303 has no contact" }]);
  });

  it("an unknown lead (amoCRM answers 204) and a contact without a phone are both reported as fail", async () => {
    const account = await h.seedAccount();
    await h.channel(account);
    const [contact] = h.amo.setContacts([{ phones: [], leads: [{ id: 7_700_404 }] }]);
    const missing = h.returnUrl();
    const noPhone = h.returnUrl();
    await h.post("/amocrm/salesbot", { token: await h.botToken(account.accountId, { entity_type: 2, entity_id: 9_999_999 }), data: { text: "x" }, return_url: missing });
    await h.post("/amocrm/salesbot", { token: await h.botToken(account.accountId, { entity_type: "2", entity_id: "7700404" }), data: { text: "x" }, return_url: noPhone });
    await h.runJobs();
    expect(status(missing)).toEqual([{ status: "fail", message_id: "", error: "lead 9999999 not found" }]);
    expect(status(noPhone)).toEqual([{ status: "fail", message_id: "", error: `contact ${contact!.id} has no phone` }]);
  });

  it("an account with no channel bound to amoCRM chats gets 400 naming the fix; the bot is continued with fail once, nothing is sent", async () => {
    const account = await h.seedAccount();
    const unbound = await h.channel(account, { bound: false });
    const returnUrl = h.returnUrl();
    const body = { token: await h.botToken(account.accountId), data: { text: "x", phone: "79115576366" }, return_url: returnUrl };
    const res = await h.post("/amocrm/salesbot", body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ ok: false, error: "invalid_parameter", message: expect.stringContaining("no chatbridge channel is connected to amoCRM chats") });
    await h.post("/amocrm/salesbot", { ...body, token: await h.botToken(account.accountId) });
    await h.runJobs();
    expect(await h.messagesOf(unbound.id)).toHaveLength(0);
    expect(status(returnUrl)).toEqual([{ status: "fail", message_id: "", error: expect.stringContaining("no chatbridge channel") }]);
  });

  it("an unknown channel name, an empty text and a bad phone are refused with their reason", async () => {
    const account = await h.seedAccount();
    await h.channel(account);
    const cases: Array<[Record<string, string>, string]> = [
      [{ channel: "Marketing", text: "x", phone: "79115576366" }, 'no chatbridge channel is named "Marketing"'],
      [{ text: "  ", phone: "79115576366" }, "text is empty"],
      [{ text: "x", phone: "12345" }, "phone: phone number is too short"],
      [{ text: "x", file_url: "ftp://files.example/a.pdf", phone: "79115576366" }, "file_url must be an http(s) URL"],
    ];
    for (const [data, reason] of cases) {
      const returnUrl = h.returnUrl();
      const res = await h.post("/amocrm/salesbot", { token: await h.botToken(account.accountId), data, return_url: returnUrl });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toContain(reason);
      await h.runJobs(1);
      expect(status(returnUrl)).toEqual([{ status: "fail", message_id: "", error: expect.stringContaining(reason) }]);
    }
  });

  it("a step that no longer waits (continue answers 404: already continued or expired) ends the job without a dead letter", async () => {
    const account = await h.seedAccount();
    const channel = await h.channel(account);
    const returnUrl = h.returnUrl();
    await h.post("/amocrm/salesbot", { token: await h.botToken(account.accountId), data: { text: "late", phone: "79115576366" }, return_url: returnUrl });
    // someone continued the step first: the fake now answers 404 for it (4.2)
    const pair = h.amo.issuePair();
    await fetch(returnUrl, { method: "POST", headers: { authorization: `Bearer ${pair.accessToken}`, "content-type": "application/json" }, body: "{}" });
    await h.runJobs();
    const [message] = await h.messagesOf(channel.id);
    expect(message!.status).toBe("sent");
    expect(h.continuesOf(returnUrl)).toHaveLength(2);
    const jobs = (await h.jobsOf(SALESBOT_CONTINUE_JOB)).filter((j) => (j.payload as { messageId?: string }).messageId === message!.id);
    expect(jobs.map((j) => j.status)).toEqual(["done"]);
  });
});
