import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Channel, createChannel } from "../../../app/core/channels.js";
import { syncChannelTemplates } from "../../../app/core/templates.js";
import { backends } from "../../support/db.js";
import { AutomationProviders, graphTemplate } from "../bitrix24/automation-providers.js";
import { AmoAutomationHarness, type SeededAccount } from "./automation-harness.js";

let eventTime = 1_491_400_000;

describe.each(await backends())("amoCRM Salesbot step and DP action sending a WhatsApp template (%s)", (backend) => {
  const h = new AmoAutomationHarness(backend);
  const providers = new AutomationProviders();
  beforeAll(async () => {
    await h.start();
    await providers.start();
    providers.templates = [graphTemplate({ name: "order_ready", language: "ru", body: "Заказ {{1}} готов, сумма {{2}}" })];
  });
  afterAll(async () => {
    await providers.close();
    await h.close();
  });

  /** An account with a WhatsApp Cloud API number (templates synced) besides its Wappi channel. */
  async function templateAccount(): Promise<{ account: SeededAccount; cloud: Channel; wappi: Channel }> {
    const account = await h.seedAccount();
    const wappi = await h.channel(account);
    const { channel: cloud } = await createChannel(h.deps.db, h.deps.keyring, { portalId: account.portal.id, provider: "whatsapp-cloud", name: "Official", credentials: providers.cloudCredentials() });
    await syncChannelTemplates(h.deps, cloud);
    return { account, cloud, wappi };
  }

  const dpEvent = (account: SeededAccount, leadId: number, settings: Record<string, string>) => {
    eventTime += 1;
    return {
      event: { type: 14, type_code: "lead_status_changed", data: { id: leadId, element_type: 2, status_id: 654_324, pipeline_id: 654_300 }, time: eventTime },
      action: { settings: { widget: { settings: { secret: account.dpSecret, ...settings } } } },
      subdomain: "ivanov",
      account_id: Number(account.accountId),
    };
  };

  it("Salesbot: template, params as a list and a phone -> a template message through the Cloud API, the bot continued with success", async () => {
    const { account, cloud } = await templateAccount();
    const returnUrl = h.returnUrl();
    const res = await h.post("/amocrm/salesbot", {
      token: await h.botToken(account.accountId),
      data: { channel: cloud.id, template: "order_ready|ru", params: ["A-17", 1500], phone: "+7 911 557-63-66" },
      return_url: returnUrl,
    });
    expect(res.status).toBe(200);
    const [message, ...more] = await h.messagesOf(cloud.id);
    expect(more).toHaveLength(0);
    expect(message).toMatchObject({ origin: "salesbot", template: { name: "order_ready", language: "ru", params: ["A-17", "1500"] }, body: "Заказ A-17 готов, сумма 1500" });
    await h.runJobs();
    expect(providers.cloudSends.filter((s) => s.type === "template" && s.to === "79115576366")).not.toHaveLength(0);
    expect(h.continuesOf(returnUrl).map((c) => c.body)).toEqual([{ data: { status: "success", message_id: message!.id }, execute_handlers: [] }]);
  });

  it("Salesbot: without a phone the lead's contact is looked up in a job and the template (values in one string) still goes", async () => {
    const { account, cloud } = await templateAccount();
    h.amo.setContacts([{ phones: ["+7 911 557-63-66"], leads: [{ id: 7_700_901 }] }]);
    const returnUrl = h.returnUrl(91);
    const res = await h.post("/amocrm/salesbot", {
      token: await h.botToken(account.accountId, { entity_type: 2, entity_id: 7_700_901 }),
      data: { channel: cloud.id, template: "order_ready", params: "B-2; 300 ₽" },
      return_url: returnUrl,
    });
    expect(await res.json()).toEqual({ ok: true, resolving: true });
    await h.runJobs();
    const [message] = await h.messagesOf(cloud.id);
    expect(message).toMatchObject({ peer: "79115576366", template: { name: "order_ready", params: ["B-2", "300 ₽"] }, status: "sent" });
    expect(h.continuesOf(returnUrl).map((c) => (c.body as { data: { status: string } }).data.status)).toEqual(["success"]);
  });

  it("Salesbot: an unknown template -> 422 template_invalid, nothing queued, the bot continued with fail and the code in json.error", async () => {
    const { account, cloud } = await templateAccount();
    const returnUrl = h.returnUrl(92);
    const res = await h.post("/amocrm/salesbot", {
      token: await h.botToken(account.accountId),
      data: { channel: cloud.id, template: "no_such", params: ["x"], phone: "79115576366" },
      return_url: returnUrl,
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ ok: false, error: "template_invalid", message: expect.stringContaining("no_such") });
    await h.runJobs();
    expect(await h.messagesOf(cloud.id)).toEqual([]);
    const [continued] = h.continuesOf(returnUrl);
    expect(continued!.body).toMatchObject({ data: { status: "fail", message_id: "", error: expect.stringMatching(/^template_invalid: template no_such/) } });
  });

  it("DP: template settings (values separated by semicolons, as a settings text field holds them) send a template to the lead's contact", async () => {
    const { account, cloud } = await templateAccount();
    h.amo.setContacts([{ phones: ["79115576366"], leads: [{ id: 8_800_901 }] }]);
    const res = await h.post("/amocrm/dp", dpEvent(account, 8_800_901, { channel: cloud.id, template: "order_ready|ru", params: "C-3;900" }));
    expect(res.status).toBe(200);
    await h.runJobs();
    const [message] = await h.messagesOf(cloud.id);
    expect(message).toMatchObject({ origin: "dp", status: "sent", template: { name: "order_ready", language: "ru", params: ["C-3", "900"] }, body: "Заказ C-3 готов, сумма 900" });
  });

  it("DP: a template on a channel without templates -> 422 unsupported; wrong value count -> 422 template_invalid; nothing queued", async () => {
    const { account, cloud, wappi } = await templateAccount();
    const onWappi = await h.post("/amocrm/dp", dpEvent(account, 8_800_902, { channel: wappi.id, template: "order_ready", params: "a;b" }));
    expect(onWappi.status).toBe(422);
    expect(await onWappi.json()).toMatchObject({ error: "unsupported", message: expect.stringContaining("has no message templates") });
    const short = await h.post("/amocrm/dp", dpEvent(account, 8_800_902, { channel: cloud.id, template: "order_ready", params: "a" }));
    expect(short.status).toBe(422);
    expect(await short.json()).toMatchObject({ error: "template_invalid", message: expect.stringContaining("takes 2 value(s), got 1") });
    await h.runJobs();
    expect([...(await h.messagesOf(cloud.id)), ...(await h.messagesOf(wappi.id))]).toEqual([]);
  });
});
