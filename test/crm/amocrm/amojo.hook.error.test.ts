import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRM_STATUS_JOB, recordStatus } from "../../../app/core/messages/record-status.js";
import { createApp } from "../../../app/index.js";
import { backends } from "../../support/db.js";
import { testConfig } from "../../support/deps.js";
import { AmojoHarness, CLIENT_PHONE } from "./amojo-harness.js";

describe.each(await backends())("amojo hook: what cannot be placed or sent (%s)", (backend) => {
  const h = new AmojoHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("error: a signed body that is not JSON is answered 200 (amojo never retries) and kept in quarantine", async () => {
    const b = await h.bound();
    const before = (await h.quarantined()).length;
    const res = await h.hook(b, undefined, { raw: "{not json" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, quarantined: true });
    const rows = await h.quarantined();
    expect(rows).toHaveLength(before + 1);
    expect(rows.at(-1)).toMatchObject({ provider: "amojo", body: "{not json", error: "the hook body is not JSON" });
  });

  it("error: a message hook without a conversation is quarantined with the reason", async () => {
    const b = await h.bound();
    const res = await h.hook(b, { account_id: b.account.amojoId, message: { message: { id: "m1", type: "text", text: "hi" } } });
    expect(await res.json()).toEqual({ ok: true, quarantined: true });
    expect((await h.quarantined()).at(-1)!.error).toContain("message.conversation");
  });

  it("error: write-first without a source on a scope with two channels cannot pick one: quarantined, nothing sent", async () => {
    const b = await h.bound();
    const second = await h.bound(b.account, "Support");
    const payload = h.amojo.hookPayload({ accountId: b.account.amojoId, receiverPhone: CLIENT_PHONE, text: "Добрый день" });
    expect(await (await h.hook(b, payload)).json()).toEqual({ ok: true, quarantined: true });
    expect((await h.quarantined()).at(-1)!.error).toContain("several channels");
    for (const channel of [b.channel, second.channel]) expect((await h.messagesOf(channel.id)).filter((m) => m.direction === "out")).toEqual([]);
  });

  it("happy: write-first with the source of one of several channels goes through that channel", async () => {
    const b = await h.bound();
    const second = await h.bound(b.account, "Support");
    const payload = h.amojo.hookPayload({ accountId: b.account.amojoId, receiverPhone: CLIENT_PHONE, sourceExternalId: second.channel.id, text: "Добрый день" });
    expect(await (await h.hook(b, payload)).json()).toEqual({ ok: true });
    expect((await h.messagesOf(second.channel.id)).filter((m) => m.direction === "out")).toHaveLength(1);
    expect((await h.messagesOf(b.channel.id)).filter((m) => m.direction === "out")).toEqual([]);
  });

  it("error: a write-first hook without a usable phone is quarantined on its channel", async () => {
    const b = await h.bound();
    const payload = h.amojo.hookPayload({ accountId: b.account.amojoId, receiverPhone: "", text: "?" });
    expect(await (await h.hook(b, payload)).json()).toEqual({ ok: true, quarantined: true });
    expect((await h.quarantined()).at(-1)).toMatchObject({ channelId: b.channel.id });
  });

  it("error: a media link to a private address is not handed to the provider (SSRF guard), and the manager sees it undelivered (-1, 905) instead of sent", async () => {
    const b = await h.bound();
    const id = crypto.randomUUID();
    const payload = h.amojo.hookPayload({ accountId: b.account.amojoId, messageId: id, conversationClientId: `cb-${b.channel.id}-${CLIENT_PHONE}`, type: "file", media: "http://10.0.0.7/internal.pdf" });
    expect(await (await h.hook(b, payload)).json()).toEqual({ ok: true, quarantined: true });
    expect(await (await h.hook(b, payload)).json()).toEqual({ ok: true, quarantined: true });
    expect((await h.messagesOf(b.channel.id)).filter((m) => m.direction === "out")).toEqual([]);
    await h.runJobs(2);
    const statuses = h.amojo.deliveryStatuses(b.scopeId).filter((s) => s.msgid === id);
    expect(statuses).toEqual([{ msgid: id, body: expect.objectContaining({ status_code: -1, error_code: 905, error: expect.stringMatching(/^chatbridge could not send this message: /) }) }]);
    expect(h.amojo.violations).toEqual([]);
  });

  it("error: a hook for a scope nobody is bound to is quarantined", async () => {
    const b = await h.bound();
    const payload = h.amojo.hookPayload({ accountId: b.account.amojoId, conversationClientId: `cb-${b.channel.id}-${CLIENT_PHONE}`, text: "x" });
    const res = await h.amojo.sendHook((path, init) => h.app.request(path, init), `${b.scopeId}0`, payload);
    expect(await res.json()).toEqual({ ok: true, quarantined: true });
  });

  it("error: a status for a message amojo no longer knows (404) is dropped at once, not retried", async () => {
    const b = await h.bound();
    const id = crypto.randomUUID();
    await h.hook(b, h.amojo.hookPayload({ accountId: b.account.amojoId, messageId: id, conversationClientId: `cb-${b.channel.id}-${CLIENT_PHONE}`, sourceExternalId: b.channel.id, text: "Hallo" }));
    h.amojo.knownMessages.delete(id);
    const [message] = (await h.messagesOf(b.channel.id)).filter((m) => m.crmMessageId === id);
    await recordStatus(h.deps, message!, { status: "delivered", at: h.clock.now() });
    await h.runJobs(2);
    const [job] = (await h.jobsOf(CRM_STATUS_JOB)).filter((j) => (j.payload as { messageId: string }).messageId === message!.id && (j.payload as { status: string }).status === "delivered");
    expect(job).toMatchObject({ status: "dead", attempts: 1 });
    expect(job!.lastError).toContain("404");
  });

  it("error: without a configured chat channel the hook cannot be verified: 503", async () => {
    const b = await h.bound();
    const bare = createApp({ ...h.deps, config: testConfig({ PUBLIC_URL: "https://bridge.example" }) });
    const raw = JSON.stringify({ account_id: b.account.amojoId });
    const res = await bare.request(`/amocrm/amojo/${b.scopeId}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-signature": createHmac("sha1", h.amojo.secret).update(raw).digest("hex") },
      body: raw,
    });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ ok: false, error: "unavailable" });
  });
});
