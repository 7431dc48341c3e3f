import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { failureText, languageOfDomain } from "../../../app/core/failure-texts.js";
import { messages } from "../../../app/db/schema.js";
import failed131026 from "../../../app/providers/whatsapp-cloud/fixtures/webhook-status-failed-131026.json";
import { cloudStatusHook, cloudTextHook, postCloudHook, WA_CLIENT } from "../../providers/official-fakes.js";
import { WA_APP_SECRET, WA_PHONE_NUMBER_ID, WA_TOKEN, WA_VERSION, WA_WABA_ID } from "../../providers/whatsapp-cloud/fake.js";
import { backends } from "../../support/db.js";
import { type OfficialBound, type OfficialChat, OfficialHarness } from "./official-harness.js";

const ERRORS_131026 = failed131026.entry[0]!.changes[0]!.value.statuses[0]!.errors;

/**
 * A WhatsApp Cloud API number end to end on Bitrix24 Open Lines: created through the admin API
 * (number described, templates synced, Meta's callback set), Meta's GET handshake, a signed
 * client message into the line, an operator's reply within the 24-hour window, and the status
 * webhooks that follow (acks, and the visible note of a failure).
 */
describe.each(await backends())("Open Lines: WhatsApp Cloud API channel end to end (%s)", (backend) => {
  const h = new OfficialHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());
  beforeEach(() => h.official.cloud.reset());

  const storedOf = (channelId: string) => h.t.db.select().from(messages).where(eq(messages.channelId, channelId));

  async function chatting(): Promise<OfficialChat> {
    const b = await h.officialChannel("whatsapp-cloud");
    expect((await postCloudHook(h.app, b.hookSecret, cloudTextHook({ text: "Hello", date: h.clock.now() }))).status).toBe(200);
    await h.runJobs(2);
    return h.chatOf(b);
  }

  const handshake = (b: OfficialBound, token: string, secret = b.hookSecret) =>
    h.app.request(`/hooks/whatsapp-cloud/${secret}?${new URLSearchParams({ "hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444" })}`);

  it("happy: created through the admin API, the number is described, its templates synced and Meta's callback set with our verify token", async () => {
    const b = await h.officialChannel("whatsapp-cloud");
    expect(b.warning).toBeUndefined();
    expect(b.view).toMatchObject({ provider: "whatsapp-cloud", messenger: "whatsapp", state: "connected" });
    expect(b.view.state_detail).toMatchObject({ display_phone_number: "+1 555-555-5555", verified_name: "Jaspers Market", quality_rating: "GREEN" });
    expect(b.view.hook_verify_token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const shown = JSON.stringify((await h.call("GET", `/api/channels/${b.view.id}`, b.token)).body);
    for (const secret of [WA_TOKEN, WA_APP_SECRET]) expect(shown).not.toContain(secret);

    const paths = h.official.cloud.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths).toEqual(
      expect.arrayContaining([`POST /${WA_VERSION}/${WA_WABA_ID}/subscribed_apps`, `POST /${WA_VERSION}/${WA_PHONE_NUMBER_ID}`, `GET /${WA_VERSION}/${WA_WABA_ID}/message_templates`]),
    );
    const configure = h.official.cloud.requests.find((r) => r.method === "POST" && r.path === `/${WA_VERSION}/${WA_PHONE_NUMBER_ID}`);
    expect(JSON.parse(configure!.body)).toEqual({ webhook_configuration: { override_callback_uri: b.view.hook_url, verify_token: b.view.hook_verify_token } });
    expect(h.official.cloud.violations).toEqual([]);

    // both pages of the template list, every status, as the admin sees them
    const listed = await h.call("GET", `/api/channels/${b.view.id}/templates`, b.token);
    expect(listed.status).toBe(200);
    const templates = listed.body.templates as Array<Record<string, unknown>>;
    expect(templates.map((t) => `${t.name}/${t.language}/${t.status}`).sort()).toEqual([
      "2023_april_promo/en_US/APPROVED",
      "hello_world/en_US/APPROVED",
      "named_promo/en_US/REJECTED",
      "order_ready/ru/APPROVED",
      "order_update/ru/PENDING",
    ]);
    expect(templates.find((t) => t.name === "2023_april_promo")).toMatchObject({ body_params: 2, header_params: 0, category: "MARKETING" });
    expect(templates.find((t) => t.name === "order_ready")).toMatchObject({ body_params: 2, header_params: 1 });

    // a sync on demand reads the list again and answers the same rows
    const synced = await h.call("POST", `/api/channels/${b.view.id}/templates/sync`, b.token);
    expect(synced.status).toBe(200);
    expect((synced.body.templates as unknown[]).length).toBe(5);
  });

  it("happy: Meta's GET handshake with our verify token echoes hub.challenge; a wrong token is 403, an unknown hook URL 401", async () => {
    const b = await h.officialChannel("whatsapp-cloud");
    const ok = await handshake(b, b.view.hook_verify_token!);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("1158201444");
    const wrong = await handshake(b, `${b.view.hook_verify_token!.slice(0, -2)}xx`);
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).not.toContain("1158201444");
    expect((await handshake(b, b.view.hook_verify_token!, "A".repeat(43))).status).toBe(401);
  });

  it("happy: a signed client text reaches the Open Line with the client's name, phone and wa.me link", async () => {
    const b = await h.officialChannel("whatsapp-cloud");
    const hook = cloudTextHook({ text: "Where is my order?", date: h.clock.now() });
    expect(await (await postCloudHook(h.app, b.hookSecret, hook)).json()).toEqual({ ok: true, stored: 1, duplicates: 0, statuses: 0 });
    expect(await (await postCloudHook(h.app, b.hookSecret, hook)).json()).toEqual({ ok: true, stored: 0, duplicates: 1, statuses: 0 });
    await h.runJobs(2);
    const sends = h.lineCalls(b, "imconnector.send.messages");
    expect(sends).toHaveLength(1);
    expect(sends[0]!.body.MESSAGES).toMatchObject([
      {
        user: { name: WA_CLIENT.name, phone: `+${WA_CLIENT.phone}`, url: `https://wa.me/${WA_CLIENT.phone}` },
        message: { text: "Where is my order?" },
        chat: { url: `https://wa.me/${WA_CLIENT.phone}` },
      },
    ]);
  });

  it.each([
    ["unsigned", null],
    ["signed with another app's secret", "sha256=0b1c0e0c3f0b4d5e8a1f2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70"],
  ])("security: a %s webhook -> 401, nothing stored or posted", async (_name, signature) => {
    const b = await h.officialChannel("whatsapp-cloud");
    const res = await postCloudHook(h.app, b.hookSecret, cloudTextHook({ text: "forged", date: h.clock.now() }), signature);
    expect(res.status).toBe(401);
    await h.runJobs(2);
    expect(await storedOf(b.channel.id)).toEqual([]);
    expect(h.lineCalls(b, "imconnector.send.messages")).toEqual([]);
  });

  it("happy: an operator reply within the window is POSTed to /messages; sent, delivered and read webhooks become delivery, then reading acks", async () => {
    const chat = await chatting();
    h.official.nextWamids("wamid.OUT.reply.0001");
    expect(await (await h.operatorWrites(chat, "93001", "[b]Anna:[/b] [br]It ships today")).json()).toMatchObject({ queued: 1 });
    await h.runJobs(3);
    expect(h.official.cloudSends()).toContainEqual({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: WA_CLIENT.phone,
      type: "text",
      text: { body: "*Anna:*\nIt ships today", preview_url: false },
    });
    expect(h.official.cloud.violations).toEqual([]);
    const [out] = (await storedOf(chat.channel.id)).filter((m) => m.crmMessageId === "93001");
    expect(out).toMatchObject({ status: "sent", providerMessageId: "wamid.OUT.reply.0001" });

    for (const status of ["sent", "delivered", "read"] as const) {
      expect((await postCloudHook(h.app, chat.hookSecret, cloudStatusHook("wamid.OUT.reply.0001", status, h.clock.now()))).status).toBe(200);
      await h.runJobs(1);
    }
    const acks = h.fake.restCalls.filter((c) => String(c.body.LINE) === chat.line && c.method.startsWith("imconnector.send.status."));
    expect(acks.length).toBeGreaterThanOrEqual(2);
    // delivery first (sent, delivered), reading last and once
    expect(acks.at(-1)!.method).toBe("imconnector.send.status.reading");
    expect(acks.slice(0, -1).every((c) => c.method === "imconnector.send.status.delivery")).toBe(true);
    for (const ack of acks) {
      expect(ack.body.MESSAGES).toMatchObject([{ im: { chat_id: chat.imChat, message_id: "93001" }, message: { id: ["wamid.OUT.reply.0001"] }, chat: { id: chat.conversationId } }]);
    }
    expect((await storedOf(chat.channel.id)).find((m) => m.crmMessageId === "93001")!.status).toBe("read");
  });

  it("error: a failed 131026 status -> a ⚠️ note with the fixed 'no account' reason in the portal's language, no provider host or wamid", async () => {
    const chat = await chatting();
    const wamid = "wamid.HBgLNzkwMDAwMDAwMDAVAgARGBIwQUJDMTIzNDU2Nzg5MEFCRAA=";
    h.official.nextWamids(wamid);
    await h.operatorWrites(chat, "93002", "Your invoice is attached");
    await h.runJobs(3);
    const failed = cloudStatusHook(wamid, "failed", h.clock.now(), ERRORS_131026);
    expect(await (await postCloudHook(h.app, chat.hookSecret, failed)).json()).toMatchObject({ ok: true, statuses: 1 });
    await h.runJobs(2);

    const note = h.lineTexts(chat).at(-1)!;
    expect(note.startsWith("⚠️")).toBe(true);
    expect(note).toContain("Your invoice is attached");
    expect(note).toContain(failureText("no_messenger", languageOfDomain(h.fake.host)));
    for (const leak of [wamid, "wamid.", "131026", "undeliverable", new URL(h.official.cloudUrl).host, "graph"]) expect(note).not.toContain(leak);
    const [row] = (await storedOf(chat.channel.id)).filter((m) => m.crmMessageId === "93002");
    expect(row).toMatchObject({ status: "failed", errorCode: "no_messenger" });
    // the only delivery ack is the one for "sent": nothing claims it arrived
    expect(h.lineCalls(chat, "imconnector.send.status.reading")).toEqual([]);
  });
});
