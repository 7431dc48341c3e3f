import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveChannelSecret } from "../../app/core/channels.js";
import { messages } from "../../app/db/schema.js";
import updateText from "../../app/providers/telegram/fixtures/update-text.json";
import { SECRET_TOKEN_PURPOSE } from "../../app/providers/telegram/webhook.js";
import wappiSent from "../../app/providers/wappi/fixtures/send-message.json";
import { postgresAvailable } from "../support/db.js";
import { type FakeServer, startFake } from "../support/fake-server.js";
import { eventually, openScenario, type Scenario } from "./support/scenario.js";
import { killAllServers, type ServerProcess, startServerProcess } from "./support/server-process.js";

const WAPPI_PROFILE = "6qw54f68-71eq";

/** Wappi's status webhook for one message (fixture webhook-delivery-status-single.json's shape). */
function wappiStatus(id: string, status: string, time: number) {
  return { messages: { wh_type: "delivery_status", profile_id: WAPPI_PROFILE, id, status, timestamp: new Date(time * 1000).toISOString(), time } };
}

describe.runIf(await postgresAvailable())("fault: webhook storms and statuses out of order", () => {
  let scenario: Scenario;
  let server: ServerProcess;
  let wappi: FakeServer;
  let onWappiSend: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    scenario = await openScenario();
    // Wappi's send answers only after the test has posted the message's statuses
    wappi = await startFake(
      new Hono().post("/api/sync/message/send", async (c) => {
        await onWappiSend?.();
        return c.json(wappiSent);
      }),
    );
    server = await startServerProcess(scenario.env());
  });
  afterAll(async () => {
    await killAllServers();
    await wappi?.close();
    await scenario?.close();
  });

  it("the same Telegram update 20 times at once: stored once, every copy answered 200", async () => {
    const [channel] = await scenario.seedTelegramChannels(1, "http://127.0.0.1:9");
    const secretToken = await deriveChannelSecret(channel!.hookSecret, SECRET_TOKEN_PURPOSE);
    const copies = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${server.url}/hooks/telegram/${channel!.hookSecret}`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secretToken },
          body: JSON.stringify(updateText),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as { stored?: number; duplicates?: number } })),
      ),
    );
    const rows = await scenario.db.select().from(messages).where(eq(messages.channelId, channel!.id));
    const stored = copies.reduce((n, c) => n + (c.body.stored ?? 0), 0);
    console.log(`[faults] 20 concurrent copies of one webhook: ${JSON.stringify({ answered200: copies.filter((c) => c.status === 200).length, stored, rows: rows.length })}`);
    expect(copies.every((c) => c.status === 200)).toBe(true);
    expect(stored).toBe(1);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.body).toBe("Hello");
  });

  it("statuses that arrive before the send's answer, read before delivered: the message ends read", async () => {
    const channel = await scenario.seedChannel("wappi", { apiToken: "wappi-token", profileId: WAPPI_PROFILE, apiUrl: wappi.url }, "whatsapp");
    const hook = (body: unknown) =>
      fetch(`${server.url}/hooks/wappi/${channel.hookSecret}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then(
        (r) => r.status,
      );
    const now = Math.floor(Date.now() / 1000);
    const early: number[] = [];
    onWappiSend = async () => {
      // the provider's statuses overtake its own answer to the send, in the wrong order
      early.push(await hook(wappiStatus(wappiSent.message_id, "read", now + 2)));
      early.push(await hook(wappiStatus(wappiSent.message_id, "delivered", now + 1)));
    };
    const res = await fetch(`${server.url}/rest/webhook/wa/${channel.webhookToken}/sendText`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ phone_number: "79115576366", body: "out of order" }),
    });
    expect(res.status).toBe(200);
    const message = await eventually(
      async () => (await scenario.db.select().from(messages).where(eq(messages.channelId, channel.id)))[0],
      (m) => m?.status === "read",
      30_000,
      "the message reaching read",
    );
    // a late "delivered" copy does not move it back
    expect(await hook(wappiStatus(wappiSent.message_id, "delivered", now + 1))).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    const [after] = await scenario.db.select().from(messages).where(eq(messages.id, message!.id));
    console.log(`[faults] statuses before the send's answer: ${JSON.stringify({ earlyAnswers: early, final: after!.status, history: after!.statusHistory })}`);
    expect(early).toEqual([200, 200]);
    expect(after!.status).toBe("read");
  });
});
