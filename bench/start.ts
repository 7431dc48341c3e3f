/**
 * Start time: process spawned -> first 200 from /health, on an existing data folder, the median
 * of 5 starts, for `npm start` (scripts/start.mjs: the compiled bundle) and, in the same run,
 * `tsx worker/node.ts` (what `npm start` was, now `npm run dev`) as the baseline.
 *
 *   npx tsx bench/start.ts
 *
 * PGlite in a temporary data folder; PostgreSQL in a database of its own,
 * chatbridge_start_<pid> on the server of TEST_DATABASE_URL (default 127.0.0.1:5432), created
 * and dropped here; skipped when that server does not answer. One unmeasured start per
 * database first builds dist/ if needed and creates and migrates the database, so every
 * measured start is a restart. The two commands alternate, so a load change on a shared
 * machine hits both alike; the load average is printed with the figures, and the CPU time each
 * start used (which the other tenants of a shared machine do not inflate as much).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import postgres from "postgres";
import { ADMIN_URL, postgresAvailable } from "../test/support/db.js";

const ROOT = resolve(import.meta.dirname, "..");
const RUNS = 5;
/** a start that has not answered by then is reported as a failure, not waited on for ever */
const START_LIMIT_MS = 120_000;

const COMMANDS = {
  "npm start": [join(ROOT, "scripts", "start.mjs")],
  "tsx worker/node.ts": ["--import", "tsx", join(ROOT, "worker", "node.ts")],
} as const;
type Command = keyof typeof COMMANDS;

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

function stop(child: ChildProcess, exited: Promise<unknown>): Promise<unknown> {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  return exited;
}

/**
 * CPU time the process used so far, all its threads (PGlite compiles its WebAssembly on
 * background threads), from /proc: on a shared machine wall time mostly measures the other
 * tenants, CPU time what a start costs. Linux only (undefined elsewhere); USER_HZ is 100.
 */
function cpuMs(pid: number | undefined): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime (fields 14 and 15)
  } catch {
    return undefined;
  }
}

interface Sample {
  wallMs: number;
  cpuMs: number | undefined;
}

/** From spawn to the first 200 from /health: wall milliseconds and the process's CPU milliseconds. */
async function timeStart(command: Command, env: Record<string, string>): Promise<Sample> {
  const port = await freePort();
  let output = "";
  const t0 = performance.now();
  const child = spawn(process.execPath, [...COMMANDS[command]], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "warn", ...env, PORT: String(port) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr!.on("data", (d: Buffer) => {
    output += d.toString("utf8");
  });
  let gone = false;
  const exited = new Promise<void>((done) =>
    child.once("exit", () => {
      gone = true;
      done();
    }),
  );
  try {
    while (performance.now() - t0 < START_LIMIT_MS) {
      if (gone) throw new Error(`${command} exited before /health answered:\n${output}`);
      const status = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return { wallMs: performance.now() - t0, cpuMs: cpuMs(child.pid) };
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`${command}: no 200 from /health within ${START_LIMIT_MS} ms:\n${output}`);
  } finally {
    await stop(child, exited);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Row {
  database: string;
  "npm start ms": number;
  "tsx ms": number;
  "npm start / tsx": number;
  "npm start cpu ms": number | string;
  "tsx cpu ms": number | string;
  "cpu ratio": number | string;
  "npm start runs ms": string;
  "tsx runs ms": string;
}

async function benchDatabase(database: string, env: Record<string, string>): Promise<Row> {
  await timeStart("npm start", env); // builds if needed, creates and migrates the database
  const runs: Record<Command, Sample[]> = { "npm start": [], "tsx worker/node.ts": [] };
  for (let i = 0; i < RUNS; i++) {
    for (const command of Object.keys(COMMANDS) as Command[]) runs[command].push(await timeStart(command, env));
  }
  const wall = (c: Command) => median(runs[c].map((r) => r.wallMs));
  const cpus = (c: Command) => runs[c].map((r) => r.cpuMs).filter((x): x is number => x !== undefined);
  const cpu = (c: Command) => (cpus(c).length === RUNS ? Math.round(median(cpus(c))) : "n/a");
  const [compiledCpu, tsxCpu] = [cpu("npm start"), cpu("tsx worker/node.ts")];
  const list = (xs: Sample[]) => xs.map((x) => x.wallMs.toFixed(0)).join(" ");
  return {
    database,
    "npm start ms": Math.round(wall("npm start")),
    "tsx ms": Math.round(wall("tsx worker/node.ts")),
    "npm start / tsx": Number((wall("npm start") / wall("tsx worker/node.ts")).toFixed(2)),
    "npm start cpu ms": compiledCpu,
    "tsx cpu ms": tsxCpu,
    "cpu ratio": typeof compiledCpu === "number" && typeof tsxCpu === "number" ? Number((compiledCpu / tsxCpu).toFixed(2)) : "n/a",
    "npm start runs ms": list(runs["npm start"]),
    "tsx runs ms": list(runs["tsx worker/node.ts"]),
  };
}

export async function main(): Promise<Row[]> {
  console.log(`start: spawn -> first 200 from /health on an existing data folder, median of ${RUNS} starts per command`);
  console.log("(ms: wall time; cpu ms: CPU time of the server process up to that answer, all threads)");
  console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(" ")} (${cpus().length} cores, ${cpus()[0]?.model ?? "unknown cpu"})`);
  const rows: Row[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), "chatbridge-start-bench-"));
  try {
    rows.push(await benchDatabase("pglite", { DATA_DIR: join(dataDir, "pglite") }));
    if (await postgresAvailable()) {
      const name = `chatbridge_start_${process.pid}`;
      const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
      const url = new URL(ADMIN_URL);
      url.pathname = `/${name}`;
      await admin.unsafe(`create database "${name}"`);
      try {
        rows.push(await benchDatabase("postgres", { DATA_DIR: join(dataDir, "postgres"), DATABASE_URL: url.toString() }));
      } finally {
        await admin.unsafe(`drop database if exists "${name}" with (force)`);
        await admin.end({ timeout: 2 });
      }
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.table(rows);
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
