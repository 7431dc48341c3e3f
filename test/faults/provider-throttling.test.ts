import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresAvailable } from "../support/db.js";
import { badGateway, type FaultyTelegram, startFaultyTelegram, tooManyRequests } from "./support/fake-telegram.js";
import { countDeliveries, eventually, openScenario, type Scenario, sendText } from "./support/scenario.js";
import { killAllServers, type ServerProcess, startServerProcess } from "./support/server-process.js";

const RETRY_AFTER_S = 3;

describe.runIf(await postgresAvailable())("fault: a provider that throttles or fails, with two server processes on one database", () => {
  let scenario: Scenario;
  let telegram: FaultyTelegram;
  let servers: ServerProcess[];
  beforeAll(async () => {
    scenario = await openScenario();
    telegram = await startFaultyTelegram();
    const env = scenario.env({ OUTBOX_POLL_MS: "50" });
    servers = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  });
  afterAll(async () => {
    await killAllServers();
    await telegram?.close();
    await scenario?.close();
  });

  it("429 with retry_after pauses the whole channel in every process until then; other channels go on; each message goes once", async () => {
    const [throttled, other] = await scenario.seedTelegramChannels(2, telegram.url);
    let refusedAt: number | undefined;
    telegram.fault = ({ bot }) => {
      if (bot !== throttled!.botToken || refusedAt !== undefined) return undefined;
      refusedAt = Date.now();
      return tooManyRequests(RETRY_AFTER_S);
    };
    const texts: string[] = [];
    for (let i = 0; i < 5; i++) {
      for (const [channel, name] of [[throttled!, "A"], [other!, "B"]] as const) {
        const text = `throttle ${name}${i}`;
        // alternate processes: both take part, and the pause must hold for both
        const answer = await sendText(servers[i % 2]!.url, channel, "5110022", text);
        expect(answer.status).toBe(200);
        texts.push(text);
      }
    }
    await eventually(() => scenario.messageStatuses(), (s) => (s.queued ?? 0) === 0, 30_000, "every message handed over");
    const sendsOf = (bot: string) => telegram.sends.filter((s) => s.bot === bot);
    const pauseEnds = refusedAt! + RETRY_AFTER_S * 1000;
    // the refused call itself is recorded a moment after refusedAt is taken: it is not a send during the pause
    const duringPause = (bot: string) => sendsOf(bot).filter((s) => s.status !== 429 && s.at > refusedAt! && s.at < pauseEnds);
    const counts = countDeliveries(texts, telegram.accepted().map((s) => s.text));
    console.log(
      `[faults] 429 retry_after=${RETRY_AFTER_S}s: ${JSON.stringify({ ...counts, throttledChannelSendsDuringPause: duringPause(throttled!.botToken).length, otherChannelSendsDuringPause: duringPause(other!.botToken).length })}`,
    );
    expect(refusedAt).toBeDefined();
    expect(duringPause(throttled!.botToken)).toEqual([]);
    expect(counts).toMatchObject({ lost: 0, duplicated: 0 });
    // the refused message goes first after the pause: the channel's order holds
    const after = sendsOf(throttled!.botToken).filter((s) => s.at >= pauseEnds);
    expect(after[0]!.text).toBe(sendsOf(throttled!.botToken)[0]!.text);
    // the other channel was not held back: it kept sending while the throttled one waited
    expect(duringPause(other!.botToken).length).toBeGreaterThan(0);
  });

  it("a storm of 502s: every message is retried until it goes, exactly once", async () => {
    const [stormy] = await scenario.seedTelegramChannels(1, telegram.url);
    let failures = 0;
    telegram.fault = ({ bot }) => {
      if (bot !== stormy!.botToken || failures >= 6) return undefined;
      failures += 1;
      return badGateway();
    };
    const texts = Array.from({ length: 5 }, (_, i) => `storm ${i}`);
    for (const [i, text] of texts.entries()) expect((await sendText(servers[i % 2]!.url, stormy!, "5110022", text)).status).toBe(200);
    await eventually(() => scenario.messageStatuses(), (s) => (s.queued ?? 0) === 0, 45_000, "every message handed over");
    const counts = countDeliveries(texts, telegram.accepted().map((s) => s.text));
    console.log(`[faults] provider 5xx storm: ${JSON.stringify({ ...counts, refusedWith502: failures })}`);
    expect(failures).toBe(6);
    expect(counts).toMatchObject({ lost: 0, duplicated: 0 });
  });
});
