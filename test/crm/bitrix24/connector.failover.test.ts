import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Channel, createChannel } from "../../../app/core/channels.js";
import { failoverNoteText, SYSTEM_NOTE_MARK } from "../../../app/core/failover.js";
import { languageOfDomain } from "../../../app/core/failure-texts.js";
import { forgetChannel } from "../../../app/core/lookup-cache.js";
import { bindChannelToLine } from "../../../app/crm/bitrix24/connector/binding.js";
import { channelEvents, channels, messages } from "../../../app/db/schema.js";
import incoming from "../../../app/providers/wappi/fixtures/webhook-incoming-message.json";
import { Recorder, serveFake } from "../../providers/provider-fake.js";
import { createWappiFake, WAPPI_PROFILE, WAPPI_TOKEN } from "../../providers/wappi/fake.js";
import { backends } from "../../support/db.js";
import type { FakeServer } from "../../support/fake-server.js";
import { AdminHarness } from "../../api/admin/harness.js";
import type { BoundChannel } from "./connector-harness.js";

/** the app's own Bitrix24 user (`profile`), whom the failover note is posted as */
const APP_USER = "1";
const CLIENT = "79115576366";

interface Group {
  a: BoundChannel & { conversationId: string; imChat: string };
  b: { channel: Channel; hookSecret: string };
  token: string;
}

/**
 * Failover through an Open Line: channel A bound to a line, channel B (its own Wappi fake, no
 * line) A's fallback. The operator keeps one chat whichever number sends or the client writes to.
 */
describe.each(await backends())("Open Lines connector: failover group A -> B (%s)", (backend) => {
  const h = new AdminHarness(backend);
  const wappiB = new Recorder();
  let wappiBServer: FakeServer;
  beforeAll(async () => {
    await h.start();
    wappiBServer = await serveFake((fake) => createWappiFake(fake, "whatsapp"), wappiB);
  });
  afterAll(async () => {
    await wappiBServer?.close();
    await h.close();
  });

  const sendsOf = (r: Recorder) => r.requests.filter((q) => q.path.includes("/message/")).map((q) => JSON.parse(q.body) as Record<string, unknown>);
  let imSerial = 90_000;

  /** A bound and chatting with the client, B unbound on its own fake, A.fallbacks = [B] through the admin API. */
  async function group(): Promise<Group> {
    const bound = await h.boundChannel();
    await h.clientWrites(bound, "Hallo", `IN${bound.line}A`);
    await h.runJobs(2);
    const [conversation] = await h.conversationsOf(bound.channel.id);
    const b = await createChannel(h.t.db, h.deps.keyring, {
      portalId: bound.channel.portalId,
      provider: "wappi",
      name: "Reserve",
      credentials: { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, apiUrl: wappiBServer.url },
    });
    const session = await h.openSession(bound.portal);
    const token = String(session.body.token);
    const patched = await h.call("PATCH", `/api/channels/${bound.channel.id}`, token, { fallbacks: [b.channel.id] });
    expect(patched.status).toBe(200);
    await h.runJobs(1);
    return { a: { ...bound, conversationId: conversation!.id, imChat: conversation!.crmChatId! }, b, token };
  }

  async function setState(channelId: string, state: "banned" | "connected"): Promise<void> {
    await h.t.db.update(channels).set({ state }).where(eq(channels.id, channelId));
    forgetChannel(channelId);
  }

  function operatorWrites(g: Group, text: string, userId = "27", imMessageId = String((imSerial += 1))) {
    return h.event("ONIMCONNECTORMESSAGEADD", g.a.portal.memberId, g.a.portal.applicationToken, {
      CONNECTOR: "chatbridge",
      LINE: g.a.line,
      MESSAGES: [{ im: { chat_id: g.a.imChat, message_id: imMessageId }, message: { user_id: userId, text }, chat: { id: g.a.conversationId } }],
    });
  }

  /** Wappi's incoming-message webhook (fixture) on a channel's hook, from the fixture's client or another phone. */
  function clientWritesTo(hookSecret: string, text: string, id: string, phone?: string): Promise<Response> {
    const [base] = incoming.messages;
    const from = phone ? { from: `${phone}@c.us`, chatId: `${phone}@c.us` } : {};
    return Promise.resolve(
      h.app.request(`/hooks/wappi/${hookSecret}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ messages: [{ ...base, body: text, id, ...from }] }),
      }),
    );
  }

  /** The note job asks `profile` for the app's user (cached per portal for minutes). */
  const appUserAnswered = () => h.fake.answerNext("profile", { status: 200, body: { result: { ID: APP_USER, ADMIN: true, NAME: "App" } } });

  const lineSends = (g: Group) => h.fake.callsOf("imconnector.send.messages").filter((c) => c.body.LINE === g.a.line);
  const textOf = (call: { body: Record<string, unknown> }) => (call.body.MESSAGES as Array<{ message: { text?: string } }>)[0]!.message.text ?? "";
  const notesIn = (g: Group) => lineSends(g).filter((c) => textOf(c).startsWith(SYSTEM_NOTE_MARK));
  const outOf = async (g: Group, crmMessageId: string) => (await h.messagesOf(g.a.channel.id)).find((m) => m.crmMessageId === crmMessageId)!;

  it("happy: with A banned, operator replies go out through B, the note is posted once as the app's user, and A's events list one failover", async () => {
    const g = await group();
    await setState(g.a.channel.id, "banned");
    appUserAnswered();
    const aBefore = h.wappiSends().length;
    const bBefore = sendsOf(wappiB).length;

    expect(await (await operatorWrites(g, "Guten Tag!", "27", "91001")).json()).toMatchObject({ queued: 1 });
    await h.runJobs(3);
    expect(await (await operatorWrites(g, "Noch da?", "27", "91002")).json()).toMatchObject({ queued: 1 });
    await h.runJobs(3);

    expect(h.wappiSends().slice(aBefore)).toEqual([]);
    expect(sendsOf(wappiB).slice(bBefore)).toEqual([
      { body: "Guten Tag!", recipient: CLIENT },
      { body: "Noch da?", recipient: CLIENT },
    ]);
    expect(wappiB.violations).toEqual([]);
    for (const id of ["91001", "91002"]) {
      expect(await outOf(g, id)).toMatchObject({ channelId: g.a.channel.id, viaChannelId: g.b.channel.id, status: "sent", conversationId: g.a.conversationId });
    }

    const notes = notesIn(g);
    expect(notes).toHaveLength(1);
    expect(notes[0]!.body.MESSAGES).toMatchObject([{ chat: { id: g.a.conversationId }, user: { id: g.a.conversationId }, message: { user_id: APP_USER } }]);
    expect(textOf(notes[0]!)).toBe(failoverNoteText(languageOfDomain(h.fake.host), "Sales", "Reserve", "banned"));

    const events = await h.call("GET", `/api/channels/${g.a.channel.id}/events`, g.token);
    expect(events.status).toBe(200);
    const failovers = (events.body.events as Array<{ kind: string; data: Record<string, string> }>).filter((e) => e.kind === "failover");
    expect(failovers).toHaveLength(1);
    expect(failovers[0]!.data).toMatchObject({ via: g.b.channel.id, reason: "banned" });
    expect(await h.t.db.select().from(channelEvents).where(eq(channelEvents.channelId, g.a.channel.id))).toHaveLength(1);
  });

  it("happy: the note handed back as an operator message by the app's user (UNVERIFIED that Bitrix24 echoes a message posted with user_id) is not sent to the client", async () => {
    const g = await group();
    await setState(g.a.channel.id, "banned");
    appUserAnswered();
    await operatorWrites(g, "Guten Tag!", "27", "92001");
    await h.runJobs(3);
    const [note] = notesIn(g);
    expect(note).toBeDefined();
    const sendsBefore = sendsOf(wappiB).length + h.wappiSends().length;

    const echo = await operatorWrites(g, textOf(note!), APP_USER, "92002");
    expect(await echo.json()).toEqual({ ok: true, queued: 0, duplicates: 0, skipped: 1 });
    // with the operator signature Bitrix24 may put in front (3.7)
    const signed = await operatorWrites(g, `[b]App:[/b][br]${textOf(note!)}`, APP_USER, "92003");
    expect(await signed.json()).toEqual({ ok: true, queued: 0, duplicates: 0, skipped: 1 });
    await h.runJobs(2);
    expect(sendsOf(wappiB).length + h.wappiSends().length).toBe(sendsBefore);
    expect((await h.messagesOf(g.a.channel.id)).filter((m) => m.crmMessageId === "92002" || m.crmMessageId === "92003")).toEqual([]);
  });

  it("happy: the client writing to B lands in A's Open Line chat; replies follow the number the client last wrote to", async () => {
    const g = await group();
    await setState(g.a.channel.id, "banned");
    appUserAnswered();
    await operatorWrites(g, "Guten Tag!", "27", "93001");
    await h.runJobs(3);

    // the client answers the new number
    const sendsBefore = lineSends(g).length;
    expect((await clientWritesTo(g.b.hookSecret, "Danke, neue Nummer?", `INB${g.a.line}`)).status).toBe(200);
    await h.runJobs(2);
    const delivered = lineSends(g).slice(sendsBefore);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.body.MESSAGES).toMatchObject([{ user: { id: g.a.conversationId }, chat: { id: g.a.conversationId }, message: { text: "Danke, neue Nummer?" } }]);
    expect((await h.conversationsOf(g.a.channel.id))[0]).toMatchObject({ crmChatId: g.a.imChat, lastInboundVia: g.b.channel.id });
    const inbound = (await h.messagesOf(g.a.channel.id)).find((m) => m.body === "Danke, neue Nummer?");
    expect(inbound).toMatchObject({ direction: "in", viaChannelId: g.b.channel.id, conversationId: g.a.conversationId });
    expect(await h.messagesOf(g.b.channel.id)).toEqual([]);

    // A can send again, but the client last wrote to B: the reply goes back through B
    await setState(g.a.channel.id, "connected");
    const aBefore = h.wappiSends().length;
    const bBefore = sendsOf(wappiB).length;
    await operatorWrites(g, "Ja, bitte speichern.", "27", "93002");
    await h.runJobs(3);
    expect(sendsOf(wappiB).slice(bBefore)).toEqual([{ body: "Ja, bitte speichern.", recipient: CLIENT }]);
    expect(h.wappiSends().slice(aBefore)).toEqual([]);
    expect(await outOf(g, "93002")).toMatchObject({ viaChannelId: g.b.channel.id, status: "sent" });

    // the client writes to A again: replies go through A
    await clientWritesTo(g.a.hookSecret, "Wieder die alte Nummer", `INA2${g.a.line}`);
    await h.runJobs(2);
    expect((await h.conversationsOf(g.a.channel.id))[0]!.lastInboundVia).toBeNull();
    await operatorWrites(g, "Gut.", "27", "93003");
    await h.runJobs(3);
    expect(h.wappiSends().slice(aBefore)).toEqual([{ body: "Gut.", recipient: CLIENT }]);
    expect(sendsOf(wappiB).slice(bBefore)).toHaveLength(1);
    expect(await outOf(g, "93003")).toMatchObject({ viaChannelId: null, status: "sent" });
    // A sent itself: its failover ended
    const kinds = (await h.t.db.select().from(channelEvents).where(eq(channelEvents.channelId, g.a.channel.id))).map((e) => e.kind).sort();
    expect(kinds).toEqual(["failover", "recovered"]);
    expect((await h.t.db.select().from(channels).where(eq(channels.id, g.a.channel.id)))[0]!.failoverSince).toBeNull();
  });

  it("happy: A's provider refusing its credentials at send time marks A unauthorized and the same reply goes out through B, with its note", async () => {
    const g = await group();
    appUserAnswered();
    h.wappi.answerNext({ status: 401, body: { status: "error", detail: "Unauthorized" } });
    const bBefore = sendsOf(wappiB).length;
    await operatorWrites(g, "Hallo?", "27", "95001");
    await h.runJobs(4);
    expect(sendsOf(wappiB).slice(bBefore)).toEqual([{ body: "Hallo?", recipient: CLIENT }]);
    expect(await outOf(g, "95001")).toMatchObject({ viaChannelId: g.b.channel.id, status: "sent" });
    expect((await h.t.db.select().from(channels).where(eq(channels.id, g.a.channel.id)))[0]!.state).toBe("unauthorized");
    const notes = notesIn(g);
    expect(notes.map(textOf)).toEqual([failoverNoteText(languageOfDomain(h.fake.host), "Sales", "Reserve", "unauthorized")]);
  });

  it("happy: A failing to send (not logged in) is retried until it counts as down, then the reply goes out through B once", async () => {
    const g = await group();
    appUserAnswered();
    h.wappi.answerNext({ status: 400, body: { status: "error", detail: "Profile is not logged in" }, times: 20 });
    const aBefore = h.wappiSends().length;
    const bBefore = sendsOf(wappiB).length;
    await operatorWrites(g, "Erreichbar?", "27", "96001");
    await h.runJobs(12);
    h.wappi.queued.length = 0;
    expect(h.wappiSends().length - aBefore).toBeGreaterThanOrEqual(h.deps.config.FAILOVER_FAILURES);
    expect(sendsOf(wappiB).slice(bBefore)).toEqual([{ body: "Erreichbar?", recipient: CLIENT }]);
    expect(await outOf(g, "96001")).toMatchObject({ viaChannelId: g.b.channel.id, status: "sent" });
    expect(notesIn(g).map(textOf)).toEqual([failoverNoteText(languageOfDomain(h.fake.host), "Sales", "Reserve", "down")]);
  });

  it("happy: with mutual backup (B.fallbacks = [A] too), the client's messages to either number stay in A's Open Line chat", async () => {
    const g = await group();
    expect((await h.call("PATCH", `/api/channels/${g.b.channel.id}`, g.token, { fallbacks: [g.a.channel.id] })).status).toBe(200);
    const before = lineSends(g).length;
    await clientWritesTo(g.b.hookSecret, "An B", `INB${g.a.line}M`);
    await h.runJobs(2);
    await clientWritesTo(g.a.hookSecret, "An A", `INA${g.a.line}M`);
    await h.runJobs(2);
    const delivered = lineSends(g).slice(before);
    expect(delivered.map(textOf)).toEqual(["An B", "An A"]);
    for (const call of delivered) expect(call.body.MESSAGES).toMatchObject([{ chat: { id: g.a.conversationId } }]);
    expect((await h.messagesOf(g.b.channel.id)).filter((m) => m.direction === "in")).toEqual([]);
  });

  it("happy: with mutual backup and both numbers on Open Lines, each client keeps the chat they started, whichever number they write to", async () => {
    const g = await group();
    const lineB = String(Number(g.a.line) + 500);
    await bindChannelToLine(h.deps, g.b.channel, lineB);
    expect((await h.call("PATCH", `/api/channels/${g.b.channel.id}`, g.token, { fallbacks: [g.a.channel.id] })).status).toBe(200);
    await h.runJobs(1);
    const sendsTo = (line: string) => h.fake.callsOf("imconnector.send.messages").filter((c) => c.body.LINE === line);
    const aBefore = sendsTo(g.a.line).length;

    // A's client writes to B, then to A: both in A's chat (B's bare row for them is no chat of B's)
    await clientWritesTo(g.b.hookSecret, "X an B", `INXB${g.a.line}`);
    await h.runJobs(2);
    await clientWritesTo(g.a.hookSecret, "X an A", `INXA${g.a.line}`);
    await h.runJobs(2);
    expect(sendsTo(g.a.line).slice(aBefore).map(textOf)).toEqual(["X an B", "X an A"]);

    // a new client starts on B: their chat is B's, and their message to A joins it
    const other = "79115570001";
    await clientWritesTo(g.b.hookSecret, "Y an B", `INYB${g.a.line}`, other);
    await h.runJobs(2);
    await clientWritesTo(g.a.hookSecret, "Y an A", `INYA${g.a.line}`, other);
    await h.runJobs(2);
    expect(sendsTo(lineB).map(textOf)).toEqual(["Y an B", "Y an A"]);
    expect(sendsTo(g.a.line).slice(aBefore).map(textOf)).toEqual(["X an B", "X an A"]);
  });

  it("happy: B's delivery status for the message it sent in A's place reaches the Open Line (imconnector.send.status.delivery)", async () => {
    const g = await group();
    await setState(g.a.channel.id, "banned");
    appUserAnswered();
    const providerId = `3EB0FA11${g.a.line}B`;
    wappiB.answerNext({ status: 200, body: { status: "done", message_id: providerId, task_id: "57411bfb-8f19-4d19-b6c1-2457b5164fd3" } });
    await operatorWrites(g, "Status?", "27", "94001");
    await h.runJobs(3);
    expect(await outOf(g, "94001")).toMatchObject({ viaChannelId: g.b.channel.id, providerMessageId: providerId });

    const ackFor = () =>
      h.fake.callsOf("imconnector.send.status.delivery").filter((c) => c.body.LINE === g.a.line && JSON.stringify(c.body.MESSAGES).includes('"94001"'));
    const acksBefore = ackFor().length;
    const res = await h.app.request(`/hooks/wappi/${g.b.hookSecret}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: { wh_type: "delivery_status", profile_id: WAPPI_PROFILE, id: providerId, status: "delivered", time: 1780315200 } }),
    });
    expect(res.status).toBe(200);
    await h.runJobs(2);
    expect(await outOf(g, "94001")).toMatchObject({ status: "delivered" });
    const acks = ackFor();
    expect(acks.length).toBeGreaterThan(acksBefore);
    expect(acks.at(-1)!.body).toMatchObject({
      LINE: g.a.line,
      MESSAGES: [{ im: { chat_id: g.a.imChat, message_id: "94001" }, message: { id: [providerId] }, chat: { id: g.a.conversationId } }],
    });
    expect(await h.t.db.select().from(messages).where(eq(messages.channelId, g.b.channel.id))).toEqual([]);
  });
});
