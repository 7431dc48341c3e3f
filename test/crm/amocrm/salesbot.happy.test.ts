import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordStatus } from "../../../app/core/messages/record-status.js";
import { AMOCRM_NOTE_JOB } from "../../../app/core/webhook-send.js";
import { SALESBOT_CONTINUE_JOB } from "../../../app/crm/amocrm/automation/salesbot-continue.js";
import { SALESBOT_RESOLVE_JOB } from "../../../app/crm/amocrm/automation/salesbot-step.js";
import { decryptAmoAuth } from "../../../app/crm/amocrm/tokens.js";
import { backends } from "../../support/db.js";
import { AmoAutomationHarness } from "./automation-harness.js";

describe.each(await backends())("amoCRM Salesbot widget_request, happy paths (%s)", (backend) => {
  const h = new AmoAutomationHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("a verified step with a phone is sent once through Wappi and its bot continued once with status success (4.2)", async () => {
    const account = await h.seedAccount();
    const channel = await h.channel(account);
    const returnUrl = h.returnUrl();
    const body = { token: await h.botToken(account.accountId), data: { text: "Ваш заказ готов", phone: "+7 911 557-63-66", lead: "15926745" }, return_url: returnUrl };

    const first = await h.post("/amocrm/salesbot", body);
    expect(first.status).toBe(200);
    const answer = (await first.json()) as { ok: boolean; message_id: string; duplicate: boolean };
    expect(answer).toMatchObject({ ok: true, duplicate: false });
    // amoCRM repeating the request (or the bot being re-run on the same step) is the same message
    const again = await h.post("/amocrm/salesbot", { ...body, token: await h.botToken(account.accountId) });
    expect(await again.json()).toEqual({ ok: true, message_id: answer.message_id, duplicate: true });

    const [message, ...more] = await h.messagesOf(channel.id);
    expect(more).toHaveLength(0);
    expect(message).toMatchObject({ origin: "salesbot", crmMessageId: returnUrl, peer: "79115576366", status: "queued" });
    expect((await h.jobsOf(AMOCRM_NOTE_JOB)).filter((j) => JSON.stringify(j.payload).includes(message!.id))).toHaveLength(1);

    await h.runJobs();
    expect(h.wappiSends()).toEqual([{ body: "Ваш заказ готов", recipient: "79115576366" }]);
    expect(h.wappi.violations).toEqual([]);
    const continues = h.continuesOf(returnUrl);
    expect(continues).toHaveLength(1);
    expect(continues[0]!.body).toEqual({ data: { status: "success", message_id: answer.message_id }, execute_handlers: [] });
    const auth = await decryptAmoAuth(h.deps.keyring, account.portal);
    expect(continues[0]!.authorization).toBe(`Bearer ${auth.accessToken}`);

    // delivered / read later: the step was continued once and stays so
    const [sent] = await h.messagesOf(channel.id);
    expect(sent!.status).toBe("sent");
    await recordStatus(h.deps, sent!, { status: "delivered", at: h.clock.now() });
    await recordStatus(h.deps, { ...sent!, status: "delivered" }, { status: "read", at: h.clock.now() });
    await h.runJobs(3);
    expect(h.continuesOf(returnUrl)).toHaveLength(1);
    expect((await h.jobsOf(SALESBOT_CONTINUE_JOB)).filter((j) => JSON.stringify(j.payload).includes(sent!.id))).toHaveLength(1);
  });

  it("without a phone, the lead's main contact is looked up in a job (GET lead with=contacts, then the contact's PHONE) and sent to", async () => {
    const account = await h.seedAccount();
    const channel = await h.channel(account);
    const [contact] = h.amo.setContacts([{ name: "Ivan Petrov", phones: ["8 (911) 557-63-66"], leads: [{ id: 7_700_101 }] }]);
    const returnUrl = h.returnUrl(77);
    const res = await h.post("/amocrm/salesbot", {
      token: await h.botToken(account.accountId, { entity_type: 2, entity_id: 7_700_101 }),
      data: { text: "Hello Ivan" },
      return_url: returnUrl,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, resolving: true });
    // the request itself asked amoCRM nothing: it answers within 2 s whatever amoCRM's speed
    expect(h.amo.restCalls().filter((c) => c.path.startsWith("/api/v4/leads/"))).toHaveLength(0);
    expect(await h.jobsOf(SALESBOT_RESOLVE_JOB)).not.toHaveLength(0);

    await h.runJobs();
    const lookups = h.amo.restCalls().map((c) => `${c.path}?${c.query}`);
    expect(lookups).toContain("/api/v4/leads/7700101?with=contacts");
    expect(lookups).toContain(`/api/v4/contacts/${contact!.id}?`);
    expect(h.wappiSends().filter((s) => s.body === "Hello Ivan")).toEqual([{ body: "Hello Ivan", recipient: "79115576366" }]);
    const [message] = await h.messagesOf(channel.id);
    expect(h.continuesOf(returnUrl).map((c) => c.body)).toEqual([{ data: { status: "success", message_id: message!.id }, execute_handlers: [] }]);
  });

  it("[U] a token without an entity falls back to data.lead ({{lead.id}} from the widget's step)", async () => {
    const account = await h.seedAccount();
    await h.channel(account);
    h.amo.setContacts([{ phones: ["+79115576366"], leads: [{ id: 7_700_202 }] }]);
    const returnUrl = h.returnUrl(78);
    const res = await h.post("/amocrm/salesbot", {
      token: await h.botToken(account.accountId, { entity_type: undefined, entity_id: undefined }),
      data: { text: "From data.lead", lead: "7700202" },
      return_url: returnUrl,
    });
    expect(await res.json()).toEqual({ ok: true, resolving: true });
    await h.runJobs();
    expect(h.wappiSends().filter((s) => s.body === "From data.lead")).toHaveLength(1);
    expect(h.continuesOf(returnUrl).map((c) => (c.body as { data: { status: string } }).data.status)).toEqual(["success"]);
  });

  it("the channel may be named (of several bound ones), and a file_url goes out as a file with the text as caption", async () => {
    const account = await h.seedAccount();
    await h.channel(account, { name: "Support" });
    const sales = await h.channel(account, { name: "Sales" });
    const returnUrl = h.returnUrl(79);
    const res = await h.post("/amocrm/salesbot", {
      token: await h.botToken(account.accountId),
      data: { channel: "sales", text: "Счёт", file_url: "https://files.example/invoice.pdf", phone: "79115576366" },
      return_url: returnUrl,
    });
    expect(res.status).toBe(200);
    await h.runJobs();
    expect(h.wappiSends().filter((s) => s.caption === "Счёт")).toEqual([{ recipient: "79115576366", url: "https://files.example/invoice.pdf", caption: "Счёт" }]);
    expect((await h.messagesOf(sales.id)).map((m) => m.origin)).toEqual(["salesbot"]);
    expect(h.continuesOf(returnUrl)).toHaveLength(1);
  });

  it("a marketingbot continue address of the account is accepted as return_url (4.2)", async () => {
    const account = await h.seedAccount();
    const channel = await h.channel(account);
    const returnUrl = `${h.amo.url}/api/v4/marketingbot/55/continue/9001`;
    const res = await h.post("/amocrm/salesbot", { token: await h.botToken(account.accountId), data: { text: "Promo", phone: "79115576366" }, return_url: returnUrl });
    expect(res.status).toBe(200);
    await h.runJobs();
    expect((await h.messagesOf(channel.id))[0]!.status).toBe("sent");
    expect(h.amo.continues.filter((c) => c.bot === "marketingbot" && c.botId === "55" && c.continueId === "9001")).toHaveLength(1);
  });
});
