import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueAdminSession } from "../../../app/core/admin-session.js";
import { type Channel, createChannel } from "../../../app/core/channels.js";
import { failoverNoteText, SYSTEM_NOTE_MARK } from "../../../app/core/failover.js";
import { languageOfDomain } from "../../../app/core/failure-texts.js";
import { forgetChannel } from "../../../app/core/lookup-cache.js";
import { channelEvents, channels, conversations, messages } from "../../../app/db/schema.js";
import incoming from "../../../app/providers/wappi/fixtures/webhook-incoming-message.json";
import { Recorder, serveFake } from "../../providers/provider-fake.js";
import { createWappiFake, WAPPI_PROFILE, WAPPI_TOKEN } from "../../providers/wappi/fake.js";
import { backends } from "../../support/db.js";
import type { FakeServer } from "../../support/fake-server.js";
import { CLIENT_PHONE } from "./amojo-harness.js";
import type { FakeAmoCrm } from "./fake-amocrm.js";
import { FAKE_BOT_ID, FAKE_CHANNEL_ID, FAKE_CHANNEL_SECRET, FakeAmojo } from "./fake-amojo.js";
import { AmoHarness } from "./harness.js";

interface Group {
  fake: FakeAmoCrm;
  a: { channel: Channel; hookSecret: string };
  b: { channel: Channel; hookSecret: string };
  scopeId: string;
  token: string;
  /** the account's domain: its notes' language */
  domain: string;
}

/**
 * Failover through amoCRM chats: channel A connected to the account's amojo scope, channel B
 * (its own Wappi fake, not connected) A's fallback. amojo has no note inside a chat, so the
 * operator learns of the failover from a note on the client's contact and open leads.
 */
describe.each(await backends())("amoCRM chats: failover group A -> B (%s)", (backend) => {
  const h = new AmoHarness(backend);
  const amojo = new FakeAmojo(() => h.clock.now());
  const wappiA = new Recorder();
  const wappiB = new Recorder();
  let wappiAServer: FakeServer;
  let wappiBServer: FakeServer;

  beforeAll(async () => {
    await amojo.start();
    wappiAServer = await serveFake((fake) => createWappiFake(fake, "whatsapp"), wappiA);
    wappiBServer = await serveFake((fake) => createWappiFake(fake, "whatsapp"), wappiB);
    await h.start({
      AMOCRM_AMOJO_URL: amojo.url,
      KOMMO_AMOJO_URL: amojo.url,
      AMOCRM_CHAT_CHANNEL_ID: FAKE_CHANNEL_ID,
      AMOCRM_CHAT_CHANNEL_SECRET: FAKE_CHANNEL_SECRET,
      AMOCRM_CHAT_BOT_ID: FAKE_BOT_ID,
    });
  });
  afterAll(async () => {
    await h.close();
    await wappiAServer?.close();
    await wappiBServer?.close();
    await amojo.close();
  });

  const sendsOf = (r: Recorder) => r.requests.filter((q) => q.path.includes("/message/")).map((q) => JSON.parse(q.body) as Record<string, unknown>);

  async function call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await h.app.request(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  function clientWritesTo(hookSecret: string, text: string): Promise<Response> {
    const [base] = incoming.messages;
    const id = `IN${crypto.randomUUID().replace(/-/g, "").slice(0, 16).toUpperCase()}`;
    return Promise.resolve(
      h.app.request(`/hooks/wappi/${hookSecret}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ messages: [{ ...base, body: text, id }] }),
      }),
    );
  }

  /** An installed account, A connected to amojo with the client's chat started, B unbound, A.fallbacks = [B]. */
  async function group(): Promise<Group> {
    const { fake, row } = await h.installed();
    const wappi = (url: string) => ({ apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, apiUrl: url });
    const a = await createChannel(h.t.db, h.deps.keyring, { portalId: row.id, provider: "wappi", name: "Sales", credentials: wappi(wappiAServer.url) });
    const b = await createChannel(h.t.db, h.deps.keyring, { portalId: row.id, provider: "wappi", name: "Reserve", credentials: wappi(wappiBServer.url) });
    const { token } = await issueAdminSession(h.t.db, { portalId: row.id, userId: "1" }, h.clock.now());
    const bound = await call("POST", `/api/channels/${a.channel.id}/bind`, token, {});
    expect(bound.status).toBe(200);
    const patched = await call("PATCH", `/api/channels/${a.channel.id}`, token, { fallbacks: [b.channel.id] });
    expect(patched.status).toBe(200);
    await h.runJobs(2);
    await clientWritesTo(a.hookSecret, "Здравствуйте");
    await h.runJobs(2);
    return { fake, a, b, scopeId: String(bound.body.line), token, domain: row.domain };
  }

  async function setState(channelId: string, state: "banned" | "connected"): Promise<void> {
    await h.t.db.update(channels).set({ state }).where(eq(channels.id, channelId));
    forgetChannel(channelId);
  }

  function managerWrites(g: Group, text: string, messageId = crypto.randomUUID()): Promise<Response> {
    return amojo.sendHook(
      (path, init) => h.app.request(path, init),
      g.scopeId,
      amojo.hookPayload({ accountId: g.fake.amojoId, conversationClientId: `cb-${g.a.channel.id}-${CLIENT_PHONE}`, messageId, text }),
    );
  }

  it("happy: with A banned, a manager's amojo messages go out through B and the failover is noted once on the client's contact and open lead", async () => {
    const g = await group();
    g.fake.setContacts([{ id: 7301, phones: [`+${CLIENT_PHONE}`], leads: [{ id: 7401 }, { id: 7402, status_id: 143 }] }]);
    await setState(g.a.channel.id, "banned");
    const aBefore = sendsOf(wappiA).length;
    const bBefore = sendsOf(wappiB).length;

    expect((await managerWrites(g, "Добрый день!")).status).toBe(200);
    await h.runJobs(3);
    expect((await managerWrites(g, "Вы здесь?")).status).toBe(200);
    await h.runJobs(3);

    expect(sendsOf(wappiA).slice(aBefore)).toEqual([]);
    expect(sendsOf(wappiB).slice(bBefore)).toEqual([
      { body: "Добрый день!", recipient: CLIENT_PHONE },
      { body: "Вы здесь?", recipient: CLIENT_PHONE },
    ]);
    expect(wappiB.violations).toEqual([]);
    const out = (await h.t.db.select().from(messages).where(eq(messages.channelId, g.a.channel.id))).filter((m) => m.direction === "out");
    expect(out).toHaveLength(2);
    for (const m of out) expect(m).toMatchObject({ viaChannelId: g.b.channel.id, status: "sent" });

    const failoverNotes = g.fake.notes.filter((n) => String(n.params.text).startsWith(SYSTEM_NOTE_MARK));
    expect(failoverNotes.map((n) => [n.entityType, n.entity_id]).sort()).toEqual([
      ["contacts", 7301],
      ["leads", 7401],
    ]);
    // in the account's language, naming both channels and why
    const text = failoverNoteText(languageOfDomain(g.domain), "Sales", "Reserve", "banned");
    expect(failoverNotes.every((n) => n.note_type === "common" && n.params.text === text)).toBe(true);
    expect((await h.t.db.select().from(channelEvents).where(eq(channelEvents.channelId, g.a.channel.id))).map((e) => e.kind)).toEqual(["failover"]);
    expect(amojo.violations).toEqual([]);
  });

  it("happy: the client's message to B arrives in A's amojo scope in the same chat, and B's delivery status reaches amojo", async () => {
    const g = await group();
    g.fake.setContacts([{ id: 7311, phones: [`+${CLIENT_PHONE}`] }]);
    await setState(g.a.channel.id, "banned");
    const amojoMessageId = crypto.randomUUID();
    wappiB.answerNext({ status: 200, body: { status: "done", message_id: "3EB0FA11AMO0000B0001", task_id: "57411bfb-8f19-4d19-b6c1-2457b5164fd4" } });
    await managerWrites(g, "Ответим с другого номера", amojoMessageId);
    await h.runJobs(3);

    const before = amojo.newMessages(g.scopeId).length;
    expect((await clientWritesTo(g.b.hookSecret, "Это ваш новый номер?")).status).toBe(200);
    await h.runJobs(2);
    const arrived = amojo.newMessages(g.scopeId).slice(before);
    expect(arrived).toHaveLength(1);
    expect(arrived[0]).toMatchObject({
      conversation_id: `cb-${g.a.channel.id}-${CLIENT_PHONE}`,
      sender: { id: `cb-user-${g.a.channel.id}-${CLIENT_PHONE}` },
      message: { type: "text", text: "Это ваш новый номер?" },
    });
    const [conversation] = await h.t.db.select().from(conversations).where(eq(conversations.channelId, g.a.channel.id));
    expect(conversation!.lastInboundVia).toBe(g.b.channel.id);
    expect((await h.t.db.select().from(messages).where(eq(messages.channelId, g.b.channel.id))).filter((m) => m.direction === "in")).toEqual([]);

    const delivered = await h.app.request(`/hooks/wappi/${g.b.hookSecret}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: { wh_type: "delivery_status", profile_id: WAPPI_PROFILE, id: "3EB0FA11AMO0000B0001", status: "delivered", time: 1780315200 } }),
    });
    expect(delivered.status).toBe(200);
    await h.runJobs(2);
    expect(amojo.deliveryStatuses(g.scopeId).filter((s) => s.msgid === amojoMessageId)).toEqual([{ msgid: amojoMessageId, body: expect.objectContaining({ status_code: 1 }) }]);
    expect(amojo.violations).toEqual([]);
  });
});
