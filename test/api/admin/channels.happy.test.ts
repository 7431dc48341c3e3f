import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { POLL_JOB } from "../../../app/core/polling.js";
import { channels, lineBindings, outboxJobs } from "../../../app/db/schema.js";
import getQr from "../../../app/providers/wappi/fixtures/get-qr.json";
import statusUnauthorized from "../../../app/providers/wappi/fixtures/get-status-unauthorized.json";
import { WAPPI_TOKEN } from "../../providers/wappi/fake.js";
import { backends } from "../../support/db.js";
import { AdminHarness } from "./harness.js";

interface ChannelAnswer {
  id: string;
  name: string;
  hook_url: string;
  webhook_url: string;
  pace_min_ms: number | null;
  [key: string]: unknown;
}

describe.each(await backends())("admin API: channels happy (%s)", (backend) => {
  const h = new AdminHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());
  beforeEach(() => h.wappi.reset());

  it("create: 201 with hook and webhook URLs, never the credentials; Wappi is told the hook URL", async () => {
    const { token } = await h.adminPortal();
    const res = await h.call("POST", "/api/channels", token, { provider: "wappi", name: "Sales", credentials: h.wappiCredentials() });
    expect(res.status).toBe(201);
    const channel = res.body.channel as ChannelAnswer;
    expect(channel).toMatchObject({ provider: "wappi", name: "Sales", messenger: "whatsapp", state: "unknown", pace_min_ms: null });
    expect(channel.hook_url).toMatch(/^https:\/\/bridge\.example\/hooks\/wappi\/[A-Za-z0-9_-]{32}$/);
    expect(channel.webhook_url).toMatch(/^https:\/\/bridge\.example\/rest\/webhook\/wa\/[A-Za-z0-9_-]{32}$/);
    expect(res.body.warning).toBeUndefined();
    expect(JSON.stringify(res.body)).not.toContain(WAPPI_TOKEN);
    const set = h.wappi.requests.find((r) => r.path === "/api/webhook/url/set");
    expect(set?.query.get("url")).toBe(channel.hook_url);
    expect(h.wappi.violations).toEqual([]);

    const list = await h.call("GET", "/api/channels", token);
    expect(list.body.channels).toEqual([channel]);
    expect(await h.call("GET", `/api/channels/${channel.id}`, token)).toEqual({ status: 200, body: { ok: true, channel } });
    expect(JSON.stringify(list.body)).not.toContain(WAPPI_TOKEN);
  });

  it("create: a webhook the provider refuses to set is a warning; the channel exists", async () => {
    const { token } = await h.adminPortal();
    h.wappi.answerNext({ status: 500, body: { status: "error", detail: "down" } });
    const res = await h.call("POST", "/api/channels", token, { provider: "wappi", name: "Support", credentials: h.wappiCredentials() });
    expect(res.status).toBe(201);
    expect(String(res.body.warning)).toContain("hook URL");
    expect((await h.call("GET", "/api/channels", token)).body.channels).toHaveLength(1);
  });

  it("create: a provider without push webhooks (WAMM) gets its poll chain started; nothing is configured", async () => {
    const { token } = await h.adminPortal();
    const res = await h.call("POST", "/api/channels", token, { provider: "wamm", name: "Polled", credentials: { token: "wamm-token-1", apiUrl: h.wappiServer.url } });
    expect(res.status).toBe(201);
    const id = (res.body.channel as ChannelAnswer).id;
    const polls = await h.t.db.select().from(outboxJobs).where(eq(outboxJobs.kind, POLL_JOB));
    expect(polls.filter((j) => (j.payload as { channelId: string }).channelId === id && j.status === "pending")).toHaveLength(1);
    expect(h.wappi.requests).toEqual([]);
  });

  it("webhook-token: show gives the channel's URL; regenerate replaces it and the old URL stops working", async () => {
    const { token } = await h.adminPortal();
    const id = await h.apiChannel(token);
    const shown = await h.call("GET", `/api/channels/${id}/webhook-token`, token);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ ok: true, kind: "wa" });
    const channel = (await h.call("GET", `/api/channels/${id}`, token)).body.channel as ChannelAnswer;
    expect(shown.body.url).toBe(channel.webhook_url);
    const oldToken = String(shown.body.token);

    const fresh = await h.call("POST", `/api/channels/${id}/webhook-token`, token);
    expect(fresh.status).toBe(200);
    expect(fresh.body.token).not.toBe(oldToken);
    const old = await h.app.request(`/rest/webhook/wa/${oldToken}/checkStatus`);
    expect(old.status).toBe(404);
    expect(await old.json()).toMatchObject({ error: "token_revoked" });
    const now = await h.app.request(`/rest/webhook/wa/${String(fresh.body.token)}/checkStatus`);
    expect(now.status).toBe(200);
    expect((await h.call("GET", `/api/channels/${id}/webhook-token`, token)).body.token).toBe(fresh.body.token);
  });

  it("patch: name and pacing change; null returns pacing to the provider default", async () => {
    const { token } = await h.adminPortal();
    const id = await h.apiChannel(token);
    const res = await h.call("PATCH", `/api/channels/${id}`, token, { name: "Night shift", paceMinMs: 5000, paceJitterMs: 1000 });
    expect(res.status).toBe(200);
    expect(res.body.channel).toMatchObject({ name: "Night shift", pace_min_ms: 5000, pace_jitter_ms: 1000 });
    const back = await h.call("PATCH", `/api/channels/${id}`, token, { paceMinMs: null });
    expect(back.body.channel).toMatchObject({ name: "Night shift", pace_min_ms: null, pace_jitter_ms: 1000 });
  });

  it("patch: new credentials are re-encrypted and Wappi's webhook is set again under them", async () => {
    const { token } = await h.adminPortal();
    const id = await h.apiChannel(token);
    const [before] = await h.t.db.select().from(channels).where(eq(channels.id, id));
    h.wappi.reset();
    const res = await h.call("PATCH", `/api/channels/${id}`, token, { credentials: { ...h.wappiCredentials(), messenger: "whatsapp" } });
    expect(res.status).toBe(200);
    const [after] = await h.t.db.select().from(channels).where(eq(channels.id, id));
    expect(after!.credentialsEnc).not.toBe(before!.credentialsEnc);
    expect(after!.credentialsEnc).not.toContain(WAPPI_TOKEN);
    expect(h.wappi.requests.map((r) => r.path)).toContain("/api/webhook/url/set");
  });

  it("qr: a logged-out Wappi profile gives its QR as a data URL; a logged-in one gives null", async () => {
    const { token } = await h.adminPortal();
    const id = await h.apiChannel(token);
    h.wappi.answerNext({ status: 200, body: statusUnauthorized });
    const qr = await h.call("GET", `/api/channels/${id}/qr`, token);
    expect(qr).toMatchObject({ status: 200, body: { ok: true, connected: false } });
    expect(String(qr.body.qr)).toMatch(/^data:image\/png;base64,/);
    expect(String(qr.body.qr)).toContain(getQr.qrCode.replace(/^data:image\/png;base64,/, "").slice(0, 20));
    expect(await h.call("GET", `/api/channels/${id}/qr`, token)).toMatchObject({ status: 200, body: { qr: null, connected: true } });
  });

  it("bind: connects the channel to the Open Line on the portal (imconnector.activate) and records the binding", async () => {
    const { token } = await h.adminPortal();
    const id = await h.apiChannel(token);
    const since = h.fake.restCalls.length;
    const res = await h.call("POST", `/api/channels/${id}/bind`, token, { line: 7 });
    expect(res).toEqual({ status: 200, body: { ok: true, channel: id, line: "7", active: true } });
    const activate = h.fake.imconnectorCalls(since).find((c) => c.method === "imconnector.activate");
    expect(activate?.body).toMatchObject({ LINE: "7", ACTIVE: "1" });
    const [binding] = await h.t.db.select().from(lineBindings).where(eq(lineBindings.channelId, id));
    expect(binding).toMatchObject({ lineId: "7", active: true });
  });

  it("delete: the line is switched off, the channel retired (credentials wiped, tokens revoked) and gone from the API", async () => {
    const { token } = await h.adminPortal();
    const id = await h.apiChannel(token);
    await h.call("POST", `/api/channels/${id}/bind`, token, { line: "8" });
    const shown = await h.call("GET", `/api/channels/${id}/webhook-token`, token);
    const since = h.fake.restCalls.length;
    const res = await h.call("DELETE", `/api/channels/${id}`, token);
    expect(res).toEqual({ status: 200, body: { ok: true, deleted: id } });
    expect(h.fake.imconnectorCalls(since).find((c) => c.method === "imconnector.activate")?.body).toMatchObject({ LINE: "8", ACTIVE: "0" });
    const [row] = await h.t.db.select().from(channels).where(eq(channels.id, id));
    expect(row).toMatchObject({ credentialsEnc: "", hookSecretHash: null });
    expect(row!.deletedAt).not.toBeNull();
    expect(await h.call("GET", `/api/channels/${id}`, token)).toMatchObject({ status: 404, body: { error: "not_found" } });
    expect((await h.call("GET", "/api/channels", token)).body.channels).toEqual([]);
    expect((await h.app.request(`/rest/webhook/wa/${String(shown.body.token)}/checkStatus`)).status).toBe(404);
    expect(await h.call("DELETE", `/api/channels/${id}`, token)).toMatchObject({ status: 404, body: { error: "not_found" } });
  });
});
