/**
 * The load bench (issue 14): the real server, started as `npm start` starts it, on a PostgreSQL
 * database of its own, against a fake Wappi account and a fake Bitrix24 portal on loopback,
 * measured with autocannon side by side with what PostgreSQL itself allows on this machine.
 *
 *   npm run bench                      (all parts; BENCH_ONLY=load runs this one alone)
 *   npx tsx bench/load.ts              (this part directly)
 *
 * Environment (bench/load/options.ts): BENCH_SECONDS (10) length of each timed step;
 * BENCH_CHANNELS (300, more when 0.5x raw needs them) channels with webhook tokens;
 * BENCH_DRAIN_JOBS (3000); BENCH_STARTS (5) timed starts per backend; BENCH_PG_URL
 * (postgres://postgres@127.0.0.1:5432/postgres) where the bench creates and drops
 * `chatbridge_bench_<pid>`; BENCH_LOG_LEVEL (info) the server's; BENCH_STEPS (all) only the
 * steps whose names contain one of these comma-separated words ("end to end"); and
 * BENCH_SERVER_NODE_ARGS node flags for the server ("--cpu-prof --cpu-prof-dir=/tmp/prof" writes
 * its CPU profile when it stops). Server settings named in
 * app/config.ts (OUTBOX_CONCURRENCY...) are passed through to the server when set.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { configSchema } from "../app/config.js";
import { WEBHOOK_API_LIMIT } from "../app/core/rate-limit.js";
import { createKeyring, generateEncryptionKey } from "../app/core/secrets.js";
import { openDatabase } from "../worker/node-db.js";
import { Cleanup } from "./load/cleanup.js";
import { createBenchDatabase, rawBaseline } from "./load/database.js";
import { startFakePortal } from "./load/fake-portal.js";
import { startFakeProvider } from "./load/fake-provider.js";
import { readOptions } from "./load/options.js";
import { log, Measurements } from "./load/measure.js";
import { fmt, printTable } from "./load/report.js";
import { describeStart, freePort, killAllServers, prepareStart, readStartCommand, spawnServer, untilHealthy, withNodeArgs } from "./load/server.js";
import { createChannels, insertPortal, openAdminSession, pacingOff } from "./load/setup.js";
import { timeStarts } from "./load/start-time.js";
import { ascending, median } from "./load/stats.js";

/** The webhook API's limit per token (5 per 3 s when written): what N tokens can be accepted at, at most. */
const PER_TOKEN_PER_SEC = WEBHOOK_API_LIMIT.limit / (WEBHOOK_API_LIMIT.windowMs / 1000);
/** variables the bench sets itself; the rest of app/config.ts's names pass through from the environment */
const OWN_VARIABLES = new Set(["DATABASE_URL", "DATA_DIR", "PORT", "ENCRYPTION_KEY", "PUBLIC_URL", "LOG_LEVEL"]);

function passedThrough(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(configSchema.shape)) {
    const value = process.env[name];
    if (!OWN_VARIABLES.has(name) && value?.trim()) out[name] = value;
  }
  return out;
}

export async function main(): Promise<void> {
  const opts = readOptions();
  const S = opts.BENCH_SECONDS;
  const settleMs = Math.max(60_000, 9_000 * S);
  const cleanup = new Cleanup();
  const unhook = cleanup.onSignals();
  cleanup.add("kill server processes", killAllServers);
  try {
    const start = withNodeArgs(readStartCommand(), opts.BENCH_SERVER_NODE_ARGS);
    log(`server: npm start is "${start.script}": running ${describeStart(start)}`);
    prepareStart(start);

    const database = await createBenchDatabase(opts.BENCH_PG_URL);
    cleanup.add(`drop database ${database.name}`, database.drop);
    log(`database ${database.name} created; raw baseline, ${S} s...`);
    const raw = await rawBaseline(database.url, S);
    log(`raw: ${fmt.rate(raw.txPerSec)} (${raw.transactions} tx), p50 ${fmt.ms(raw.p50Ms)}, p99 ${fmt.ms(raw.p99Ms)}`);

    const provider = await startFakeProvider();
    cleanup.add("close fake provider", provider.close);
    const portal = await startFakePortal();
    cleanup.add("close fake portal", portal.close);

    const dataDir = mkdtempSync(join(tmpdir(), "chatbridge-bench-"));
    cleanup.add("remove data folders", async () => rmSync(dataDir, { recursive: true, force: true }));
    const encryptionKey = generateEncryptionKey();
    const serverEnv = {
      ...passedThrough(),
      DATABASE_URL: database.url,
      DATA_DIR: join(dataDir, "postgres-run"),
      ENCRYPTION_KEY: encryptionKey,
      PUBLIC_URL: "https://bench.chatbridge.example",
      LOG_LEVEL: opts.BENCH_LOG_LEVEL,
      OUTBOUND_ALLOW_LOOPBACK: "true",
      BITRIX24_CLIENT_ID: "local.bench0000000001",
      BITRIX24_CLIENT_SECRET: "bench-client-secret-0000000001",
      BITRIX24_OAUTH_URL: portal.url,
    };
    const since = performance.now();
    const server = spawnServer(start, await freePort(), serverEnv);
    cleanup.add("stop server", () => server.stop(5000));
    const upMs = await untilHealthy(server, since, 300_000);
    log(`server pid ${server.pid} up in ${fmt.ms(upMs)} at ${server.url}`);

    const bench = await openDatabase({ url: database.url, poolSize: 4 });
    cleanup.add("close bench pool", bench.close);
    const memberId = `bench${process.pid}`;
    const portalId = await insertPortal(bench.db, await createKeyring(encryptionKey), { memberId, host: portal.host, url: portal.url });
    const session = await openAdminSession(server.url, { memberId, host: portal.host });
    const needed = Math.ceil((0.5 * raw.txPerSec * 1.25) / PER_TOKEN_PER_SEC);
    const channelCount = opts.BENCH_CHANNELS ?? Math.max(300, needed);
    const t0 = performance.now();
    const channels = await createChannels(server.url, session, provider.url, channelCount);
    await pacingOff(bench.db, portalId);
    const ceiling = channelCount * PER_TOKEN_PER_SEC;
    log(
      `${channelCount} channels created and bound through the admin API in ${fmt.ms(performance.now() - t0)}; ` +
        `per-token limit ceiling over them ${fmt.rate(ceiling)}; pacing set to 0 in the database (no env switch exists)`,
    );

    const measured = new Measurements({
      seconds: S,
      settleMs,
      drainJobs: opts.BENCH_DRAIN_JOBS,
      raw,
      server,
      channels,
      db: bench.db,
      provider,
      portal,
      steps: opts.BENCH_STEPS,
    });
    await measured.all();

    await server.stop();
    log(`start -> /health, ${opts.BENCH_STARTS} timed starts each on an existing database / data folder...`);
    const pgliteEnv = { ...passedThrough(), DATA_DIR: join(dataDir, "pglite-run"), LOG_LEVEL: opts.BENCH_LOG_LEVEL, PUBLIC_URL: serverEnv.PUBLIC_URL };
    for (const [name, env] of [["PostgreSQL", serverEnv], ["PGlite", pgliteEnv]] as const) {
      await measured.step(`start -> /health, ${name}`, async () => {
        const t = await timeStarts(start, env, opts.BENCH_STARTS);
        log(`  ${name}: first (create/migrate) ${fmt.ms(t.firstMs)}; timed ${t.samplesMs.map((v) => fmt.ms(v)).join(", ")}`);
        measured.rows.push({
          figure: `start -> /health, ${name} (median, min of ${t.samplesMs.length})`,
          value: `${fmt.ms(median(t.samplesMs))}, ${fmt.ms(ascending(t.samplesMs)[0] ?? Number.NaN)}`,
          ratio: "",
          target: "< 1 s",
        });
      });
    }
    measured.rows.push({ figure: "server RSS under sendText saturation (peak)", value: fmt.mib(measured.peakRssMiB), ratio: "", target: "" });

    console.log("");
    console.log(`load bench: ${channelCount} channels, ${S} s per step, server "${describeStart(start)}" on PostgreSQL; fakes and autocannon in this process`);
    printTable([...measured.rows, ...measured.losses]);
    console.log(
      [
        "notes: latencies are autocannon's (request written -> answer read); ratios of latencies are to the raw transaction's p50 / p99.",
        "At a fixed rate autocannon sends each connection's share of a second back to back at the start of that second;",
        "the end-to-end target row spreads arrivals evenly instead (one every 5 ms, bench/load/http-load.ts runPaced), its latency counted from each one's due time.",
        `The per-token limit (${WEBHOOK_API_LIMIT.limit} per ${WEBHOOK_API_LIMIT.windowMs / 1000} s) caps sendText at ${fmt.rate(ceiling)} over ${channelCount} tokens.`,
        "Per-channel pacing has no env switch: it is off through the channels' own override, set to 0 in the database.",
        "Drain = sends per second between the first and the last arrival at the fake provider.",
      ].join("\n       "),
    );
  } finally {
    unhook();
    await cleanup.run();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
