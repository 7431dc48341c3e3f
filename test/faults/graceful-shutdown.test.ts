import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresAvailable } from "../support/db.js";
import { type FaultyTelegram, startFaultyTelegram } from "./support/fake-telegram.js";
import { countDeliveries, eventually, openScenario, type Scenario, sendText } from "./support/scenario.js";
import { killAllServers, startServerProcess } from "./support/server-process.js";

describe.runIf(await postgresAvailable())("fault: SIGTERM while sending", () => {
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

  it("finishes the sends in flight, claims nothing twice, exits 0, and the next process sends the rest", async () => {
    const channels = await scenario.seedTelegramChannels(20, telegram.url);
    const env = scenario.env({ SHUTDOWN_DEADLINE_MS: "8000" });
    const first = await startServerProcess(env);
    telegram.delayMs = 1_000;
    let stopping: Promise<number | string> | undefined;
    let inFlightAtSignal = 0;
    telegram.onSend = () => {
      if (!stopping && telegram.sends.length >= 6) {
        inFlightAtSignal = telegram.sends.length;
        stopping = first.kill("SIGTERM");
      }
    };
    const texts: string[] = [];
    for (const [i, channel] of channels.entries()) {
      for (let k = 0; k < 2; k++) {
        const text = `shutdown ${i}/${k}`;
        const answer = await sendText(first.url, channel, String(6_000_000 + i), text).catch(() => undefined);
        if (answer?.status === 200) texts.push(text);
      }
      if (stopping) break;
    }
    await eventually(async () => stopping, (s) => s !== undefined, 30_000, "the signal");
    const code = await stopping;
    // every send the stopping process started had its answer recorded before it exited
    const statuses = await scenario.messageStatuses();
    const sentBeforeStop = telegram.sends.length;
    const second = await startServerProcess({ ...env });
    telegram.delayMs = 0;
    await eventually(() => scenario.messageStatuses(), (s) => (s.queued ?? 0) === 0, 30_000, "every message handed over");
    const counts = countDeliveries(texts, telegram.accepted().map((s) => s.text));
    console.log(
      `[faults] SIGTERM under load: ${JSON.stringify({ ...counts, exitCode: code, inFlightAtSignal, sentBeforeStop, deliveredBeforeRestart: statuses.delivered ?? 0 })}`,
    );
    expect(code).toBe(0);
    expect(statuses.delivered ?? 0).toBe(sentBeforeStop);
    expect(counts).toMatchObject({ lost: 0, duplicated: 0 });
    await second.kill("SIGTERM");
  });
});
