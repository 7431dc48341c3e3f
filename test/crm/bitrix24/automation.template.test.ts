import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scheduleAutomationRefresh } from "../../../app/core/admin-channels.js";
import { type Channel, createChannel } from "../../../app/core/channels.js";
import { syncChannelTemplates } from "../../../app/core/templates.js";
import { backends } from "../../support/db.js";
import { newEventToken, postRobotRun } from "./automation-calls.js";
import { AutomationProviders, graphTemplate } from "./automation-providers.js";
import { type BoundChannel, ConnectorHarness } from "./connector-harness.js";
import type { RestCall } from "./fake-bitrix24.js";

describe.each(await backends())("Bitrix24 robot 'Send WhatsApp template' (%s)", (backend) => {
  const h = new ConnectorHarness(backend);
  const providers = new AutomationProviders();
  beforeAll(async () => {
    await h.start();
    await providers.start();
    providers.templates = [
      graphTemplate({ name: "order_ready", language: "ru", body: "Заказ {{1}} готов, сумма {{2}}" }),
      graphTemplate({ name: "order_ready", language: "en_US", body: "Order {{1}} is ready, total {{2}}" }),
      graphTemplate({ name: "draft_promo", language: "ru", body: "Скидка {{1}}", status: "PENDING" }),
    ];
  });
  afterAll(async () => {
    await providers.close();
    await h.close();
  });

  const eventSends = (token: string): RestCall[] => h.fake.callsOf("bizproc.event.send").filter((c) => c.body.EVENT_TOKEN === token);

  /** A portal with its Wappi channel bound to a line and a WhatsApp Cloud API number whose templates are synced. */
  async function templatePortal(): Promise<{ b: BoundChannel; cloud: Channel }> {
    const b = await h.boundChannel();
    const portal = await h.portalRow(b.portal.memberId);
    const { channel: cloud } = await createChannel(h.deps.db, h.deps.keyring, { portalId: portal!.id, provider: "whatsapp-cloud", name: "Official", credentials: providers.cloudCredentials() });
    await syncChannelTemplates(h.deps, cloud);
    return { b, cloud };
  }

  it("happy: after a template sync, scheduleAutomationRefresh re-registers the template robot with the approved templates and the channels that have them", async () => {
    const { b, cloud } = await templatePortal();
    const portal = await h.portalRow(b.portal.memberId);
    const since = h.fake.restCalls.length;
    await scheduleAutomationRefresh(h.deps, portal!.id);
    await h.runJobs(2);
    const update = (code: string, method = "bizproc.robot.update") => h.fake.restCalls.slice(since).find((c) => c.method === method && c.body.CODE === code)!;
    const properties = (call: RestCall) => (call.body.FIELDS as { PROPERTIES: Record<string, { Options?: Record<string, string> }> }).PROPERTIES;
    const template = properties(update("chatbridge_send_template"));
    // PENDING templates cannot be sent (channels-next.md 2): not offered
    expect(template.template!.Options).toEqual({ "order_ready|en_US": "order_ready (en_US)", "order_ready|ru": "order_ready (ru)" });
    expect(template.channel!.Options).toEqual({ default: "First channel with templates", [cloud.id]: "Official (whatsapp-cloud, WhatsApp)" });
    expect(template).toMatchObject({ params: { Type: "string", Multiple: "Y" }, header_url: { Type: "string", Required: "N" } });
    expect(properties(update("chatbridge_send_template_bp", "bizproc.activity.update")).template!.Options).toHaveProperty(["order_ready|ru"]);
    // the other robots list every channel
    expect(Object.keys(properties(update("chatbridge_send")).channel!.Options!)).toEqual(["default", b.channel.id, cloud.id]);
  });

  it("happy: a run queues one template message per recipient (row.template set, body = the rendered text) and answers sent", async () => {
    const { b, cloud } = await templatePortal();
    const token = newEventToken();
    const res = await postRobotRun(
      h,
      b.portal,
      token,
      { channel: cloud.id, phone: ["+7 911 557-63-66", "+7 912 000-11-22"], template: "order_ready|ru", params: ["A-17", "1 500 ₽", ""] },
      { code: "chatbridge_send_template" },
    );
    expect(await res.json()).toMatchObject({ ok: true, duplicate: false });
    const out = (await h.messagesOf(cloud.id)).filter((m) => m.crmMessageId === token);
    expect(out).toHaveLength(2);
    for (const m of out) {
      expect(m).toMatchObject({ origin: "robot", template: { name: "order_ready", language: "ru", params: ["A-17", "1 500 ₽"] }, body: "Заказ A-17 готов, сумма 1 500 ₽" });
    }
    await h.runJobs(3);
    const sends = providers.cloudSends.filter((s) => s.type === "template" && ["79115576366", "79120001122"].includes(String(s.to)));
    expect(sends).toHaveLength(2);
    expect(sends[0]!.template).toMatchObject({ name: "order_ready", language: { code: "ru" } });
    const replies = eventSends(token);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body.RETURN_VALUES).toMatchObject({ status: "sent", error: "", sent_count: "2", failed_count: "0" });
  });

  it("happy: the BP activity with the default channel and a bare template name (its approved language) and values on separate lines", async () => {
    const { b, cloud } = await templatePortal();
    const token = newEventToken();
    await postRobotRun(h, b.portal, token, { channel: "default", phone: "79115576366", template: "order_ready", params: "B-2\n300 ₽" }, { code: "chatbridge_send_template_bp" });
    const [message] = (await h.messagesOf(cloud.id)).filter((m) => m.crmMessageId === token);
    expect(message!.template).toMatchObject({ name: "order_ready", params: ["B-2", "300 ₽"] });
  });

  it("error: an unknown template (after one more look at the provider's list) reaches the process as template_invalid; nothing is queued", async () => {
    const { b, cloud } = await templatePortal();
    const token = newEventToken();
    const listsBefore = providers.templateListCalls;
    const res = await postRobotRun(h, b.portal, token, { channel: cloud.id, phone: "79115576366", template: "no_such|ru", params: ["x"] }, { code: "chatbridge_send_template" });
    expect(((await res.json()) as { error: string }).error).toMatch(/^template_invalid: template no_such \(ru\) does not exist/);
    expect(providers.templateListCalls).toBe(listsBefore + 1);
    await h.runJobs(1);
    expect(eventSends(token)[0]!.body.RETURN_VALUES).toMatchObject({ message_id: "", status: "failed", error: expect.stringMatching(/^template_invalid:/), failed_count: "1" });
    expect((await h.messagesOf(cloud.id)).filter((m) => m.crmMessageId === token)).toHaveLength(0);
  });

  it("error: values that do not fit, the placeholder option, and a channel without templates are refused with their reason", async () => {
    const { b, cloud } = await templatePortal();
    const cases: Array<[Record<string, string | string[]>, RegExp]> = [
      [{ channel: cloud.id, template: "order_ready|ru", params: ["only one"] }, /^template_invalid: template order_ready takes 2 value\(s\), got 1/],
      [{ channel: cloud.id, template: "none" }, /^template_invalid: no template chosen/],
      [{ channel: b.channel.id, template: "order_ready|ru", params: ["a", "b"] }, /^unsupported: .* has no message templates/],
      [{ channel: cloud.id, template: "order_ready|ru", params: ["a", "b"], header_url: "ftp://x" }, /header_url must be an http\(s\) URL/],
    ];
    for (const [properties, error] of cases) {
      const token = newEventToken();
      const res = await postRobotRun(h, b.portal, token, { phone: "79115576366", ...properties }, { code: "chatbridge_send_template" });
      expect(((await res.json()) as { error: string }).error).toMatch(error);
      await h.runJobs(1);
      expect((eventSends(token)[0]!.body.RETURN_VALUES as { error: string }).error).toMatch(error);
    }
    expect((await h.messagesOf(cloud.id)).filter((m) => m.origin === "robot")).toHaveLength(0);
  });
});
