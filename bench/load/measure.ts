import type { Db } from "../../app/db/index.js";
import type { RawBaseline } from "./database.js";
import type { FakePortal } from "./fake-portal.js";
import type { FakeProvider } from "./fake-provider.js";
import type { LoadResult } from "./http-load.js";
import { type Figure, fmt } from "./report.js";
import { type ServerProcess, sampleRss } from "./server.js";
import type { BenchChannel } from "./setup.js";
import { type Delivery, endToEnd, hookLoad, outboxDrain, sendTextLoad, settle } from "./steps.js";

export const log = (text: string) => console.log(`load: ${text}`);

/** What every measured step needs: the running server, its channels, the fakes and the baseline. */
export interface Rig {
  seconds: number;
  /** longest wait for the outbox after a step */
  settleMs: number;
  drainJobs: number;
  raw: RawBaseline;
  server: ServerProcess;
  channels: BenchChannel[];
  /** the bench's own pool on the server's database (outbox state, the drain batch) */
  db: Db;
  provider: FakeProvider;
  portal: FakePortal;
  /** BENCH_STEPS: run only the steps whose names contain one of these (the warm-up always runs) */
  steps?: string[] | undefined;
}

function statusLine(r: LoadResult): string {
  const other = Object.entries(r.statuses).map(([s, n]) => `${s}:${n}`).join(" ");
  return `2xx ${r.ok}, 429 ${r.limited}, other ${r.otherStatus}${other ? ` (${other})` : ""}, errors ${r.errors} (timeouts ${r.timeouts})`;
}

function deliveryLine(d: Delivery): string {
  const inFlight = d.unconfirmed ? ` (+${d.unconfirmed} in flight when the step ended, no answer read)` : "";
  return `${d.lost} lost, ${d.duplicated} dup of ${d.accepted}${inFlight}${d.drained ? "" : " NOT DRAINED in time"}`;
}

/**
 * Runs the measured steps one after the other. A step that fails (the server answering
 * nonsense while someone is mid-change) is reported as failed in the table and the next runs.
 */
export class Measurements {
  readonly rows: Figure[] = [];
  readonly losses: Figure[] = [];
  peakRssMiB = Number.NaN;

  constructor(private readonly rig: Rig) {}

  private rawRatio(v: number): string {
    return fmt.ratio(v, this.rig.raw.txPerSec);
  }

  /** p50 / p99 with their ratios to the raw transaction's p50 / p99 */
  private latencyRow(figure: string, p50: number, p99: number, target = ""): Figure {
    const { raw } = this.rig;
    return { figure, value: `${fmt.ms(p50)} / ${fmt.ms(p99)}`, ratio: `${fmt.ratio(p50, raw.p50Ms)} / ${fmt.ratio(p99, raw.p99Ms)}`, target };
  }

  private loadRows(figure: string, r: LoadResult, target: string, latencyTarget = ""): Figure[] {
    return [
      { figure, value: fmt.rate(r.okPerSec), ratio: this.rawRatio(r.okPerSec), target },
      this.latencyRow("  p50 / p99 (ratio to raw tx latency)", r.p50Ms, r.p99Ms, latencyTarget),
      { figure: "  2xx / 429 / other / errors", value: `${r.ok} / ${r.limited} / ${r.otherStatus} / ${r.errors}`, ratio: "", target: "" },
    ];
  }

  private loss(name: string, d: Delivery): void {
    this.losses.push({ figure: `lost / duplicated: ${name}`, value: `${d.lost} / ${d.duplicated} of ${d.accepted}${d.drained ? "" : " (not drained)"}`, ratio: "", target: "0 / 0" });
  }

  async step(name: string, run: () => Promise<void>): Promise<void> {
    const { steps } = this.rig;
    if (steps && name !== "warm-up" && !steps.some((word) => name.toLowerCase().includes(word))) return;
    try {
      await run();
    } catch (err) {
      const message = err instanceof Error ? err.message.split("\n")[0]!.slice(0, 200) : String(err);
      log(`${name} FAILED: ${message}`);
      this.rows.push({ figure: name, value: "failed", ratio: "", target: message.slice(0, 60) });
    }
  }

  async all(): Promise<void> {
    const { seconds: S, raw, server, channels, db, provider, portal, settleMs } = this.rig;
    this.rows.push({ figure: "raw PostgreSQL: 2-insert tx, 20 connections", value: fmt.rate(raw.txPerSec), ratio: "1.00x", target: "(the limit)" });
    this.rows.push({ figure: "  raw tx latency p50 / p99", value: `${fmt.ms(raw.p50Ms)} / ${fmt.ms(raw.p99Ms)}`, ratio: "1.00x / 1.00x", target: "" });

    await this.step("warm-up", async () => {
      // the first requests of a fresh process compile code paths and open pool connections: not what is measured
      const warmSeconds = Math.min(2, Math.max(1, Math.round(S / 4)));
      log(`warm-up: sendText and provider webhook, 10 connections, ${warmSeconds} s each...`);
      const sends = await sendTextLoad(server.url, channels, "warm-", { connections: 10, seconds: warmSeconds });
      const hooks = await hookLoad(server.url, channels, "warmhook-", { connections: 10, seconds: warmSeconds });
      const d = await settle(db, provider.sends, sends.accepted, "warm-", settleMs);
      const h = await settle(db, portal.messages, hooks.accepted, "warmhook-", settleMs);
      log(`  sendText ${statusLine(sends)}; at the provider: ${deliveryLine(d)}`);
      log(`  webhook ${statusLine(hooks)}; at the portal: ${deliveryLine(h)}`);
      this.loss("warm-up sendText", d);
      this.loss("warm-up webhook -> portal", h);
    });

    await this.step("sendText at saturation", async () => {
      log(`sendText at saturation (50 connections, ${S} s), RSS sampled...`);
      const rss = sampleRss(server.pid);
      let r: LoadResult;
      try {
        r = await sendTextLoad(server.url, channels, "sat-", { connections: 50, seconds: S });
      } finally {
        this.peakRssMiB = rss.stop().peakMiB;
      }
      log(`  ${fmt.rate(r.okPerSec)} accepted, p50 ${fmt.ms(r.p50Ms)}, p99 ${fmt.ms(r.p99Ms)}; ${statusLine(r)}; RSS peak ${fmt.mib(this.peakRssMiB)}`);
      this.rows.push(...this.loadRows("sendText accepted, saturation (50 conn)", r, ">= 0.50x"));
      const d = await settle(db, provider.sends, r.accepted, "sat-", settleMs);
      log(`  at the provider: ${deliveryLine(d)}`);
      this.loss("sendText saturation", d);
    });

    const offered = 0.5 * raw.txPerSec;
    await this.step("sendText at 0.5x raw", async () => {
      log(`sendText at ${fmt.rate(offered)} offered (0.5x raw, 50 connections, ${S} s)...`);
      const r = await sendTextLoad(server.url, channels, "fix-", { connections: 50, seconds: S, overallRate: offered });
      log(`  ${fmt.rate(r.okPerSec)} accepted, p50 ${fmt.ms(r.p50Ms)}, p99 ${fmt.ms(r.p99Ms)}; ${statusLine(r)}`);
      this.rows.push(...this.loadRows(`sendText accepted at ${fmt.rate(offered)} offered (0.5x)`, r, "all offered", "p99 < 50 ms"));
      const d = await settle(db, provider.sends, r.accepted, "fix-", settleMs);
      log(`  at the provider: ${deliveryLine(d)}`);
      this.loss("sendText 0.5x raw", d);
    });

    await this.step("provider webhook at 1,000/s", async () => {
      log(`provider webhook at 1,000/s offered (50 connections, ${S} s)...`);
      const r = await hookLoad(server.url, channels, "hook-", { connections: 50, seconds: S, overallRate: 1000 });
      log(`  ${fmt.rate(r.okPerSec)} acknowledged, p50 ${fmt.ms(r.p50Ms)}, p99 ${fmt.ms(r.p99Ms)}; ${statusLine(r)}`);
      this.rows.push(...this.loadRows("provider webhook acked at 1,000/s offered", r, ">= 1,000/s", "p99 < 50 ms"));
      const d = await settle(db, portal.messages, r.accepted, "hook-", settleMs);
      log(`  at the portal: ${deliveryLine(d)}`);
      this.loss("provider webhook -> portal", d);
    });

    await this.step("end to end at 200/s", async () => {
      log(`end to end: provider webhook -> imconnector.send.messages at 200 messages/s, one every 5 ms (${S} s)...`);
      const paced = await endToEnd(db, server.url, channels, portal.messages, { seconds: S, rate: 200, maxWaitMs: settleMs, paced: true });
      log(`  p50 ${fmt.ms(paced.e2e.p50Ms)}, p99 ${fmt.ms(paced.e2e.p99Ms)} over ${paced.e2e.measured}; hooks ${statusLine(paced.e2e.load)}; ${deliveryLine(paced.delivery)}`);
      this.rows.push(this.latencyRow(`end to end hook -> portal at 200/s (${paced.e2e.measured})`, paced.e2e.p50Ms, paced.e2e.p99Ms, "p50 < 100 ms"));
      this.rows.push({ figure: "  hooks acked during it", value: fmt.rate(paced.e2e.load.okPerSec), ratio: this.rawRatio(paced.e2e.load.okPerSec), target: "200/s" });
      this.loss("end to end", paced.delivery);

      log(`end to end again with autocannon's arrivals: 200 at the start of each second (${S} s)...`);
      const burst = await endToEnd(db, server.url, channels, portal.messages, { seconds: S, rate: 200, maxWaitMs: settleMs, paced: false });
      log(`  p50 ${fmt.ms(burst.e2e.p50Ms)}, p99 ${fmt.ms(burst.e2e.p99Ms)} over ${burst.e2e.measured}; hooks ${statusLine(burst.e2e.load)}; ${deliveryLine(burst.delivery)}`);
      this.rows.push(this.latencyRow(`  same, in bursts of 200 each second (${burst.e2e.measured})`, burst.e2e.p50Ms, burst.e2e.p99Ms, ""));
      this.loss("end to end, bursts", burst.delivery);
    });

    await this.step("outbox drain", async () => {
      log(`outbox drain: ${this.rig.drainJobs} sends queued in one transaction over ${channels.length} channels...`);
      const drain = await outboxDrain(db, channels, provider.sends, this.rig.drainJobs, settleMs);
      log(`  written in ${fmt.ms(drain.queueMs)}; ${fmt.rate(drain.jobsPerSec)}, first after ${fmt.ms(drain.firstMs)}, all after ${fmt.ms(drain.totalMs)}; ${deliveryLine(drain.delivery)}`);
      this.rows.push({ figure: `outbox drain (${drain.jobs} sends, pacing off)`, value: fmt.rate(drain.jobsPerSec), ratio: this.rawRatio(drain.jobsPerSec), target: ">= 0.50x" });
      this.rows.push({ figure: "  commit -> first / last arrival", value: `${fmt.ms(drain.firstMs)} / ${fmt.ms(drain.totalMs)}`, ratio: "", target: "" });
      this.loss("outbox drain", drain.delivery);
    });

    const strays = [...provider.unexpected, ...portal.unexpected];
    if (strays.length) log(`the fakes saw ${strays.length} unexpected requests, e.g. ${strays.slice(0, 3).join("; ")}`);
  }
}
