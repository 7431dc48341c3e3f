import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../../app/core/clock.js";
import { queueOutgoing } from "../../../app/core/messages/outgoing.js";
import { channels, messages, outboxJobs } from "../../../app/db/schema.js";
import type { AppDeps } from "../../../app/deps.js";
import { createApp } from "../../../app/index.js";
import { backends, openTestDb, type TestDb } from "../../support/db.js";
import { testDeps } from "../../support/deps.js";
import { seedChannel } from "../../support/channels.js";
import { gatewayState } from "../../../app/core/gateway.js";
import { channelHookUrl } from "../../../app/core/channels.js";

describe.each(await backends())("phone gateway on %s", (backend) => {
  let t: TestDb;
  let deps: AppDeps;
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 9));
  beforeAll(async () => {
    t = await openTestDb(backend);
    deps = await testDeps(t.db, { clock });
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.db.execute(sql`truncate outbox_jobs, pace_slots, portals cascade`);
  });

  const call = (path: string, init?: RequestInit) => createApp(deps).request(path, init);
  const form = (fields: Record<string, string>) => ({
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });

  async function phoneChannel(unpaced = true) {
    const created = await seedChannel(deps, "gateway", { device: "Xiaomi Mi 9 SE", leaseSeconds: 60, maxAttempts: 3 });
    if (unpaced) await t.db.update(channels).set({ paceMinMs: 0, paceJitterMs: 0 }).where(eq(channels.id, created.channel.id));
    const [channel] = await t.db.select().from(channels).where(eq(channels.id, created.channel.id));
    return { channel: channel!, token: created.hookSecret };
  }

  async function queue(channel: Awaited<ReturnType<typeof phoneChannel>>["channel"], n: number) {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const { message } = await queueOutgoing(deps, {
        channel,
        peer: { phone: `7900000${String(i).padStart(4, "0")}` },
        content: { type: "text", text: `message ${i}` },
        origin: "webhook_api",
        dedupKey: `gw:${channel.id}:${i}`,
      });
      ids.push(message.id);
      clock.advance(1);
    }
    return ids;
  }

  it("a simulated phone drains 50 queued messages in order; one crash mid-message is offered again", async () => {
    const { channel, token } = await phoneChannel();
    const ids = await queue(channel, 50);
    // the phone pulls its work; nothing goes through the outbox for a gateway channel
    expect(await t.db.select().from(outboxJobs)).toHaveLength(0);

    const handled: string[] = [];
    let crashed: string | undefined;
    for (let round = 0; round < 200; round++) {
      const res = await call(`/gateway/${token}/next`);
      if (res.status === 204) {
        if (handled.length === 50) break;
        clock.advance(61_000); // the crashed message's lease runs out
        continue;
      }
      expect(res.status).toBe(200);
      const job = (await res.json()) as { id: string; phone: string; text: string; attempt: number };
      if (job.text === "message 7" && !crashed) {
        crashed = job.id; // the automation app died before reporting
        continue;
      }
      const reported = await call(`/gateway/${token}/result`, form({ id: job.id, status: "sent" }));
      expect(await reported.json()).toEqual({ ok: true, id: job.id, status: "sent" });
      handled.push(job.text);
      if (job.id === crashed) expect(job.attempt).toBe(2);
    }
    expect(handled).toHaveLength(50);
    expect(handled.slice(0, 7)).toEqual(Array.from({ length: 7 }, (_, i) => `message ${i}`));
    expect(handled.at(-1)).toBe("message 7");
    const rows = await t.db.select().from(messages).where(eq(messages.channelId, channel.id));
    expect(rows.every((r) => r.status === "sent" && r.providerMessageId === r.id)).toBe(true);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(ids));
  });

  it("a message the phone never reports on is failed after its attempts, with a reason", async () => {
    const { channel, token } = await phoneChannel();
    const [id] = await queue(channel, 1);
    for (let i = 0; i < 3; i++) {
      expect((await call(`/gateway/${token}/next`)).status).toBe(200);
      clock.advance(61_000);
    }
    expect((await call(`/gateway/${token}/next`)).status).toBe(204);
    const [row] = await t.db.select().from(messages).where(eq(messages.id, id!));
    expect(row).toMatchObject({ status: "failed", errorCode: "phone_no_result" });
  });

  it("results: failed with no_messenger, later delivered/read, and repeats are harmless", async () => {
    const { channel, token } = await phoneChannel();
    const [a, b] = await queue(channel, 2);
    await call(`/gateway/${token}/next`);
    await call(`/gateway/${token}/result`, form({ id: a!, status: "failed", reason: "no_messenger" }));
    const [failed] = await t.db.select().from(messages).where(eq(messages.id, a!));
    expect(failed).toMatchObject({ status: "failed", errorCode: "no_messenger" });

    await call(`/gateway/${token}/next`);
    await call(`/gateway/${token}/result?id=${b}&status=sent`);
    await call(`/gateway/${token}/result`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: b, status: "read" }),
    });
    const again = await call(`/gateway/${token}/result?id=${b}&status=delivered`);
    expect(await again.json()).toEqual({ ok: true, id: b, status: "read" });
    const [read] = await t.db.select().from(messages).where(eq(messages.id, b!));
    expect(read!.statusHistory.map((h) => h.status)).toEqual(["queued", "sent", "read"]);
  });

  it("paces hand-outs like sends: a fast-polling phone is told when to come back", async () => {
    const { channel, token } = await phoneChannel(false);
    await queue(channel, 2);
    expect((await call(`/gateway/${token}/next`)).status).toBe(200);
    const early = await call(`/gateway/${token}/next`);
    expect(early.status).toBe(204);
    const wait = Number(early.headers.get("retry-after"));
    expect(wait).toBeGreaterThanOrEqual(8);
    expect(wait).toBeLessThanOrEqual(15);
    clock.advance(15_000);
    expect((await call(`/gateway/${token}/next`)).status).toBe(200);
  });

  it("incoming notifications become incoming messages, once each", async () => {
    const { channel, token } = await phoneChannel();
    const note = { from: "+7 911 557-63-66", text: "Добрый день", time: "1764061200", id: "notif-1" };
    expect(await (await call(`/gateway/${token}/incoming`, form(note))).json()).toEqual({ ok: true, duplicate: false });
    expect(await (await call(`/gateway/${token}/incoming`, form(note))).json()).toEqual({ ok: true, duplicate: true });
    await call(`/gateway/${token}/incoming`, form({ from: "Иван Петров", text: "Это Иван" }));
    const rows = await t.db.select().from(messages).where(eq(messages.channelId, channel.id));
    expect(rows.map((r) => [r.direction, r.peer, r.body]).sort()).toEqual([
      ["in", "79115576366", "Добрый день"],
      ["in", "chat:contact:Иван Петров", "Это Иван"],
    ]);
    expect(rows.find((r) => r.peer === "79115576366")!.statusHistory[0]!.at).toBe(new Date(1764061200 * 1000).toISOString());
  });

  it("the channel's address shown to admins is the phone's base URL, which the endpoints answer under", async () => {
    const { channel, token } = await phoneChannel();
    const base = await channelHookUrl(deps, channel);
    expect(base).toBe(`${deps.config.PUBLIC_URL}/gateway/${token}`);
    const res = await call(`${new URL(base!).pathname}/heartbeat`);
    expect(await res.json()).toEqual({ ok: true });
  });

  it("heartbeats make the channel connected until they stop", async () => {
    const { channel, token } = await phoneChannel();
    expect(gatewayState(channel, clock.now()).state).toBe("unknown");
    const res = await call(`/gateway/${token}/heartbeat?battery=87&charging=true&app_version=1.4`);
    expect(await res.json()).toEqual({ ok: true });
    const [row] = await t.db.select().from(channels).where(eq(channels.id, channel.id));
    expect(row!.stateDetail).toMatchObject({ battery: 87, charging: true, appVersion: "1.4" });
    expect(gatewayState(row!, clock.now()).state).toBe("connected");
    clock.advance(4 * 60_000);
    expect(gatewayState(row!, clock.now())).toMatchObject({ state: "unknown", detail: expect.stringMatching(/no heartbeat/) });
  });

  it("errors: bad parameters name the field; unknown token is refused; another channel's message is not found", async () => {
    const { token } = await phoneChannel();
    const other = await phoneChannel();
    const [foreign] = await queue(other.channel, 1);
    expect(await (await call(`/gateway/${token}/result`, form({ id: "x", status: "sent" }))).json()).toMatchObject({
      ok: false,
      error: "invalid_parameter",
      field: "id",
    });
    expect(await (await call(`/gateway/${token}/result`, form({ id: foreign! }))).json()).toMatchObject({
      ok: false,
      error: "missing_parameter",
      message: "status is required",
    });
    const notMine = await call(`/gateway/${token}/result`, form({ id: foreign!, status: "sent" }));
    expect(notMine.status).toBe(404);
    const bad = await call(`/gateway/not-a-token/next`);
    expect(bad.status).toBe(404);
    expect(await bad.json()).toMatchObject({ ok: false, error: "invalid_token" });
  });
});
