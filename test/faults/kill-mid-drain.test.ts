import { and, eq, inArray, isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../app/db/schema.js";
import { postgresAvailable } from "../support/db.js";
import { type FaultyTelegram, startFaultyTelegram } from "./support/fake-telegram.js";
import { countDeliveries, eventually, openScenario, type Scenario, sendText } from "./support/scenario.js";
import { killAllServers, startServerProcess } from "./support/server-process.js";

// the webhook API allows 5 calls per 3 s per token (OLChat's limit): five per channel go in one round
const CHANNELS = 40;
const PER_CHANNEL = 5;

describe.runIf(await postgresAvailable())("fault: kill -9 while the outbox drains", () => {
  let scenario: Scenario;
  let telegram: FaultyTelegram;
  beforeAll(async () => {
    scenario = await openScenario();
    telegram = await startFaultyTelegram();
  });
  afterAll(async () => {
    await killAllServers();
    await telegram?.close();
    await scenario?.close();
  });

  it("loses nothing, and repeats at most the sends the provider had taken but the dead process had not recorded", async () => {
    const channels = await scenario.seedTelegramChannels(CHANNELS, telegram.url);
    // a short lease, so the restarted process takes over the dead one's jobs within seconds
    const env = scenario.env({ OUTBOX_CONCURRENCY: "16", OUTBOX_LEASE_MS: "4000" });
    const first = await startServerProcess(env);

    // slow answers, so hundreds are still queued and a dozen in flight when the kill comes
    telegram.delayMs = 400;
    let accepting = true;
    let killed: Promise<number | string> | undefined;
    telegram.onSend = () => {
      if (!accepting && !killed) killed = first.kill("SIGKILL");
    };
    const texts: string[] = [];
    const batch = channels.flatMap((channel, c) =>
      Array.from({ length: PER_CHANNEL }, (_, k) => ({ channel, chatId: String(5_000_000 + c), text: `kill-test ${c}/${k}` })),
    );
    for (let i = 0; i < batch.length; i += 50) {
      const answers = await Promise.all(
        batch.slice(i, i + 50).map(async (j) => ({ j, answer: await sendText(first.url, j.channel, j.chatId, j.text).catch(() => undefined) })),
      );
      for (const { j, answer } of answers) if (answer?.status === 200) texts.push(j.text);
    }
    accepting = false;
    expect(texts).toHaveLength(CHANNELS * PER_CHANNEL);
    await eventually(async () => killed, (k) => k !== undefined, 30_000, "the kill");
    expect(await killed).toBe("SIGKILL");

    // what the provider took that the dead process never recorded: the only sends that may repeat
    const receivedBeforeKill = new Set(telegram.sends.map((s) => s.text));
    const unrecorded = await scenario.db
      .select({ body: messages.body })
      .from(messages)
      .where(and(eq(messages.status, "queued"), isNull(messages.providerMessageId), inArray(messages.body, [...receivedBeforeKill])));
    const inFlightAtKill = unrecorded.length;

    telegram.delayMs = 5;
    const second = await startServerProcess(env);
    await eventually(() => scenario.messageStatuses(), (s) => (s.queued ?? 0) === 0, 60_000, "every message handed over");
    const counts = countDeliveries(texts, telegram.accepted().map((s) => s.text));
    console.log(`[faults] kill -9 mid-drain: ${JSON.stringify({ ...counts, inFlightAtKill, sendsBeforeKill: receivedBeforeKill.size })}`);
    expect(counts.lost).toBe(0);
    expect(counts.duplicated).toBeLessThanOrEqual(inFlightAtKill);
    expect(await scenario.messageStatuses()).toEqual({ delivered: CHANNELS * PER_CHANNEL });
    await second.kill("SIGTERM");
  });
});
