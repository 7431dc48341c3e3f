import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AMOCRM_NOTE_JOB } from "../../../app/core/webhook-send.js";
import { DP_SEND_JOB } from "../../../app/crm/amocrm/automation/dp-send.js";
import { encodeBracketForm } from "../../../app/crm/bitrix24/bracket-form.js";
import { messages, outboxJobs, portals } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { AmoAutomationHarness, type SeededAccount } from "./automation-harness.js";

let eventTime = 1_491_300_016;

/** 4.1: what amoCRM posts to dp.webhook_url when a lead reaches the action's stage. */
function dpEvent(account: SeededAccount, leadId: number, settings: Record<string, string>, overrides: { elementType?: number; time?: number } = {}) {
  eventTime += 1;
  return {
    event: {
      type: 14,
      type_code: "lead_status_changed",
      data: { id: leadId, element_type: overrides.elementType ?? 2, status_id: 654_324, pipeline_id: 654_300, direction_of_movement: "went_to_trigger" },
      time: overrides.time ?? eventTime,
    },
    action: { settings: { widget: { settings } } },
    subdomain: "ivanov",
    account_id: Number(account.accountId),
  };
}

describe.each(await backends())("amoCRM Digital Pipeline action POST /amocrm/dp (%s)", (backend) => {
  const h = new AmoAutomationHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  const totals = async () => ({
    messages: (await h.t.db.select({ n: count() }).from(messages))[0]!.n,
    jobs: (await h.t.db.select({ n: count() }).from(outboxJobs))[0]!.n,
  });

  it("happy: a lead event with the account's secret sends to the lead's main contact once, with a contact note; the same event again sends nothing", async () => {
    const account = await h.seedAccount();
    const channel = await h.channel(account);
    h.amo.setContacts([{ phones: ["+7 (911) 557-63-66"], leads: [{ id: 8_800_101 }] }]);
    const event = dpEvent(account, 8_800_101, { text: "Заявка принята", secret: account.dpSecret });
    const res = await h.post("/amocrm/dp", event);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, duplicate: false });
    expect(await (await h.post("/amocrm/dp", event)).json()).toEqual({ ok: true, duplicate: true });

    await h.runJobs();
    expect(h.wappiSends().filter((s) => s.body === "Заявка принята")).toEqual([{ body: "Заявка принята", recipient: "79115576366" }]);
    const [message, ...more] = await h.messagesOf(channel.id);
    expect(more).toHaveLength(0);
    expect(message).toMatchObject({ origin: "dp", status: "sent", dedupKey: `dp:${account.accountId}:8800101:${event.event.time}:654324` });
    expect((await h.jobsOf(AMOCRM_NOTE_JOB)).filter((j) => (j.payload as { messageId: string }).messageId === message!.id)).toHaveLength(1);
    // DP has nothing to continue (4.1)
    expect(h.amo.continues).toHaveLength(0);
  });

  it("[U] happy: a form-encoded call (PHP bracket keys) is read the same way", async () => {
    const account = await h.seedAccount();
    const channel = await h.channel(account, { name: "Forms" });
    h.amo.setContacts([{ phones: ["79115576366"], leads: [{ id: 8_800_202 }] }]);
    const event = dpEvent(account, 8_800_202, { channel: "forms", text: "From a form post", secret: account.dpSecret });
    const res = await h.app.request("/amocrm/dp", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: encodeBracketForm(event) });
    expect(res.status).toBe(200);
    await h.runJobs();
    expect((await h.messagesOf(channel.id)).map((m) => [m.origin, m.body, m.status])).toEqual([["dp", "From a form post", "sent"]]);
  });

  it("security: a JWT does not replace the DP secret: neither a bot token nor a user's widget token gets a send through (4.1 documents no token)", async () => {
    const account = await h.seedAccount();
    const channel = await h.channel(account);
    h.amo.setContacts([{ phones: ["79115576366"], leads: [{ id: 8_800_303 }] }]);
    for (const token of [await h.botToken(account.accountId), await h.widgetToken(account.accountId, 7)]) {
      const header = await h.post("/amocrm/dp", dpEvent(account, 8_800_303, { text: "JWT instead of secret" }), { "x-auth-token": token });
      expect(header.status).toBe(401);
      const inBody = await h.post("/amocrm/dp", { ...dpEvent(account, 8_800_303, { text: "JWT instead of secret" }), token });
      expect(inBody.status).toBe(401);
    }
    await h.runJobs();
    expect(await h.messagesOf(channel.id)).toEqual([]);
  });

  it("security: a wrong, missing or foreign secret -> 401, nothing queued", async () => {
    const account = await h.seedAccount();
    const other = await h.seedAccount();
    await h.channel(account);
    const before = await totals();
    for (const secret of ["wrong-secret", "", other.dpSecret]) {
      const res = await h.post("/amocrm/dp", dpEvent(account, 8_800_404, { text: "pwned", ...(secret ? { secret } : {}) }));
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ ok: false, error: "unauthorized" });
    }
    expect(await totals()).toEqual(before);
  });

  it("security: an account without a DP secret, an unknown account and an uninstalled one -> 401", async () => {
    const bare = await h.seedAccount();
    await h.t.db.update(portals).set({ settings: { baseUrl: h.amo.url } }).where(eq(portals.id, bare.portal.id));
    const gone = await h.seedAccount({ status: "uninstalled" });
    const before = await totals();
    expect((await h.post("/amocrm/dp", dpEvent(bare, 1, { text: "x", secret: bare.dpSecret }))).status).toBe(401);
    expect((await h.post("/amocrm/dp", dpEvent(gone, 1, { text: "x", secret: gone.dpSecret }))).status).toBe(401);
    expect((await h.post("/amocrm/dp", { ...dpEvent(bare, 1, { text: "x", secret: bare.dpSecret }), account_id: 39_999_999 })).status).toBe(401);
    expect(await totals()).toEqual(before);
  });

  it("a customer event (element_type 12) is acknowledged and not acted on; an unusable setting is 400 with its reason", async () => {
    const account = await h.seedAccount();
    await h.channel(account);
    const before = await totals();
    const customer = await h.post("/amocrm/dp", dpEvent(account, 5, { text: "x", secret: account.dpSecret }, { elementType: 12 }));
    expect(customer.status).toBe(200);
    expect(await customer.json()).toMatchObject({ ok: true, ignored: expect.stringContaining("leads") });
    const empty = await h.post("/amocrm/dp", dpEvent(account, 5, { text: " ", secret: account.dpSecret }));
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ error: "invalid_parameter", message: "text is empty" });
    expect(await totals()).toEqual(before);
  });

  it("a lead whose contact has no phone ends as a visible dead letter naming the lead, and sends nothing", async () => {
    const account = await h.seedAccount();
    const channel = await h.channel(account);
    h.amo.setContacts([{ phones: [], leads: [{ id: 8_800_505 }] }]);
    expect((await h.post("/amocrm/dp", dpEvent(account, 8_800_505, { text: "x", secret: account.dpSecret }))).status).toBe(200);
    await h.runJobs();
    const [job] = (await h.jobsOf(DP_SEND_JOB)).filter((j) => (j.payload as { leadId: string }).leadId === "8800505");
    expect(job).toMatchObject({ status: "dead", lastError: expect.stringContaining("lead 8800505") });
    expect(await h.messagesOf(channel.id)).toHaveLength(0);
  });
});
