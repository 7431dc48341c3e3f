import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueJob } from "../../../app/core/outbox/enqueue.js";
import { AMOJO_DISCONNECT_JOB, AMOJO_RECONNECT_JOB } from "../../../app/crm/amocrm/amojo/jobs.js";
import { lineBindings, portals } from "../../../app/db/schema.js";
import { createApp } from "../../../app/index.js";
import { backends } from "../../support/db.js";
import { testConfig } from "../../support/deps.js";
import { AmojoHarness } from "./amojo-harness.js";
import { FAKE_CHANNEL_ID } from "./fake-amojo.js";

describe.each(await backends())("amojo: binding channels to the account's scope (%s)", (backend) => {
  const h = new AmojoHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("happy: bind connects the account (signed, hook v2, no time window) and stores the binding under scope_id (2.3)", async () => {
    const account = await h.account();
    const { channel } = await h.channel(account);
    const token = await h.adminToken(account);
    const res = await h.call("POST", `/api/channels/${channel.id}/bind`, token);
    const scopeId = `${FAKE_CHANNEL_ID}_${account.amojoId}`;
    expect(res).toEqual({ status: 200, body: { ok: true, channel: channel.id, line: scopeId, active: true } });

    const [connect] = h.amojo.calls.filter((c) => c.path === `/v2/origin/custom/${FAKE_CHANNEL_ID}/connect` && (c.body as { account_id: string }).account_id === account.amojoId);
    expect(connect!.method).toBe("POST");
    expect(connect!.body).toEqual({ account_id: account.amojoId, title: "chatbridge", hook_api_version: "v2", is_time_window_disabled: true });
    expect(connect!.headers.get("content-type")).toBe("application/json");
    expect(connect!.headers.get("date")).toMatch(/ \+0000$/);
    expect(h.amojo.violations).toEqual([]);

    const [binding] = await h.bindingsOf(channel.id);
    expect(binding).toMatchObject({ crm: "amocrm", lineId: scopeId, active: true, data: { amojoId: account.amojoId, title: "chatbridge" } });
    // the widget shows the bound state from the channel list
    const list = await h.call("GET", "/api/channels", token);
    expect(list.body.channels).toEqual([expect.objectContaining({ id: channel.id, line: scopeId })]);
  });

  it("happy: a second channel of the account joins the same scope, binding again is idempotent, nothing is unbound", async () => {
    const first = await h.bound();
    const second = await h.bound(first.account, "Support");
    expect(second.scopeId).toBe(first.scopeId);
    const again = await h.call("POST", `/api/channels/${first.channel.id}/bind`, first.token, { line: "ignored" });
    expect(again.body).toEqual({ ok: true, channel: first.channel.id, line: first.scopeId, active: true });
    expect((await h.bindingsOf(first.channel.id))[0]!.active).toBe(true);
    expect((await h.bindingsOf(second.channel.id))[0]!.active).toBe(true);
    expect(h.amojo.violations).toEqual([]);
  });

  it("error: without a configured chat channel the bind answers unavailable and names the settings", async () => {
    const account = await h.account();
    const { channel } = await h.channel(account);
    const token = await h.adminToken(account);
    const bare = createApp({ ...h.deps, config: testConfig({ PUBLIC_URL: "https://bridge.example", AMOCRM_AMOJO_URL: h.amojo.url }) });
    const res = await bare.request(`/api/channels/${channel.id}/bind`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(503);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ok: false, error: "unavailable" });
    expect(String(body.message)).toContain("AMOCRM_CHAT_CHANNEL_ID");
    expect(await h.bindingsOf(channel.id)).toEqual([]);
  });

  it("error: amojo down -> unavailable; amojo refusing (403) -> conflict; an account without amojo id -> conflict; nothing stored", async () => {
    const account = await h.account();
    const { channel } = await h.channel(account);
    const token = await h.adminToken(account);
    h.amojo.answerNext({ status: 502, body: { error_description: "bad gateway" } });
    expect(await h.call("POST", `/api/channels/${channel.id}/bind`, token)).toMatchObject({ status: 503, body: { error: "unavailable" } });
    h.amojo.answerNext({ status: 403, body: { error_code: 403, error_type: "ERR_SIGNATURE" } });
    expect(await h.call("POST", `/api/channels/${channel.id}/bind`, token)).toMatchObject({ status: 409, body: { error: "conflict" } });
    await h.t.db.update(portals).set({ settings: { baseUrl: "https://x.amocrm.ru" } }).where(eq(portals.id, account.portalId));
    const noId = await h.call("POST", `/api/channels/${channel.id}/bind`, token);
    expect(noId).toMatchObject({ status: 409, body: { error: "conflict" } });
    expect(String(noId.body.message)).toContain("install the integration again");
    expect(await h.bindingsOf(channel.id)).toEqual([]);
  });

  it("happy: the reconnect job after a reinstall connects again and moves the account's bindings to the new scope", async () => {
    const first = await h.bound();
    const second = await h.bound(first.account, "Support");
    // the uninstall disconnected the channel on amoCRM's side and our bindings went inactive;
    // the account came back with another amojo id
    await h.t.db.update(lineBindings).set({ active: false }).where(eq(lineBindings.lineId, first.scopeId));
    const newAmojoId = crypto.randomUUID();
    await h.t.db.update(portals).set({ settings: { baseUrl: "https://x.amocrm.ru", amojoId: newAmojoId } }).where(eq(portals.id, first.account.portalId));
    await enqueueJob(h.t.db, { kind: AMOJO_RECONNECT_JOB, payload: { portalId: first.account.portalId }, maxAttempts: 3 }, h.clock.now());
    await h.runJobs(1);

    const newScope = `${FAKE_CHANNEL_ID}_${newAmojoId}`;
    expect(h.amojo.connected.get(newAmojoId)).toBe(newScope);
    for (const b of [first, second]) {
      expect(await h.bindingsOf(b.channel.id)).toEqual([expect.objectContaining({ lineId: newScope, active: true, data: { amojoId: newAmojoId, title: "chatbridge" } })]);
    }
    const [job] = (await h.jobsOf(AMOJO_RECONNECT_JOB)).filter((j) => (j.payload as { portalId: string }).portalId === first.account.portalId);
    expect(job!.status).toBe("done");
    expect(h.amojo.violations).toEqual([]);
  });

  it("happy: the reconnect job of an account without bound channels does not connect it", async () => {
    const account = await h.account();
    await h.channel(account);
    const before = h.amojo.calls.length;
    await enqueueJob(h.t.db, { kind: AMOJO_RECONNECT_JOB, payload: { portalId: account.portalId }, maxAttempts: 3 }, h.clock.now());
    await h.runJobs(1);
    expect(h.amojo.calls.length).toBe(before);
    expect(h.amojo.connected.has(account.amojoId)).toBe(false);
  });

  it("happy: deleting the account's last bound channel disconnects the scope (DELETE .../disconnect [U: method]); an earlier one does not", async () => {
    const first = await h.bound();
    const second = await h.bound(first.account, "Support");
    expect(await h.call("DELETE", `/api/channels/${first.channel.id}`, first.token)).toMatchObject({ status: 200 });
    await h.runJobs(1);
    const disconnects = () => h.amojo.calls.filter((c) => c.path.endsWith("/disconnect") && (c.body as { account_id: string }).account_id === first.account.amojoId);
    expect(disconnects()).toEqual([]);
    expect(h.amojo.connected.has(first.account.amojoId)).toBe(true);

    expect(await h.call("DELETE", `/api/channels/${second.channel.id}`, first.token)).toMatchObject({ status: 200 });
    await h.runJobs(1);
    expect(disconnects()).toHaveLength(1);
    expect(disconnects()[0]).toMatchObject({ method: "DELETE", path: `/v2/origin/custom/${FAKE_CHANNEL_ID}/disconnect`, body: { account_id: first.account.amojoId } });
    expect(h.amojo.connected.has(first.account.amojoId)).toBe(false);
    expect((await h.jobsOf(AMOJO_DISCONNECT_JOB)).filter((j) => j.status !== "done")).toEqual([]);
    expect(h.amojo.violations).toEqual([]);
  });
});
