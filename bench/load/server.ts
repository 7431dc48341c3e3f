import { type ChildProcess, execSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { z } from "zod";
import { sleep } from "./stats.js";

export const ROOT = resolve(import.meta.dirname, "../..");

export interface StartCommand {
  /** the `start` script as package.json has it */
  script: string;
  /** commands before the last `&&` (a build step): run once before the timed starts, through the shell */
  prepare: string[];
  program: string;
  args: string[];
  env: Record<string, string>;
}

const packageJson = z.object({ scripts: z.object({ start: z.string().min(1) }) });

/** Splits a script into words, honouring simple single and double quotes. */
function words(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
}

/**
 * The program `npm start` runs, run directly so the bench times the server and not npm, and
 * follows the script when it changes (compiled JS instead of `tsx`): `tsx file` becomes
 * `node --import tsx file`, `node ...` runs on this Node, anything else from node_modules/.bin.
 */
export function readStartCommand(): StartCommand {
  const script = packageJson.parse(JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8"))).scripts.start;
  const parts = script.split("&&").map((p) => p.trim()).filter(Boolean);
  const last = words(parts.pop() ?? "");
  const env: Record<string, string> = {};
  while (last[0] && /^[A-Za-z_][A-Za-z0-9_]*=/.test(last[0])) {
    const [name, ...value] = last.shift()!.split("=");
    env[name!] = value.join("=");
  }
  const [head = "", ...rest] = last;
  if (head === "tsx") return { script, prepare: parts, program: process.execPath, args: ["--import", "tsx", ...rest], env };
  if (head === "node") return { script, prepare: parts, program: process.execPath, args: rest, env };
  const bin = resolve(ROOT, "node_modules/.bin", head);
  return { script, prepare: parts, program: head.includes("/") ? resolve(ROOT, head) : bin, args: rest, env };
}

/** Runs the script's build steps once (they are not part of what is timed). */
export function prepareStart(command: StartCommand): void {
  for (const step of command.prepare) execSync(step, { cwd: ROOT, stdio: "inherit" });
}

export function describeStart(command: StartCommand): string {
  const shown = [command.program === process.execPath ? "node" : command.program, ...command.args].join(" ");
  return command.prepare.length ? `${command.prepare.join(" && ")} (once), then ${shown}` : shown;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  if (typeof address !== "object" || !address) throw new Error("no free port");
  return address.port;
}

export interface ServerProcess {
  pid: number;
  url: string;
  /** the last lines the server wrote (stdout and stderr), for error reports */
  tail(): string;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves once it is gone */
  stop(graceMs?: number): Promise<void>;
  exited: Promise<number | string>;
}

/** The start command with node flags in front of its script (BENCH_SERVER_NODE_ARGS); unchanged for other programs. */
export function withNodeArgs(command: StartCommand, nodeArgs: readonly string[] | undefined): StartCommand {
  if (!nodeArgs?.length || command.program !== process.execPath) return command;
  return { ...command, args: [...nodeArgs, ...command.args] };
}

const children = new Set<ChildProcess>();

/** Starts the server program on `port` with the given environment (nothing else of ours is inherited but PATH and HOME). */
export function spawnServer(command: StartCommand, port: number, env: Record<string, string>): ServerProcess {
  const child = spawn(command.program, command.args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...command.env, ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) lines.push(line);
    if (lines.length > 400) lines.splice(0, lines.length - 200);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<number | string>((done) => {
    child.once("exit", (code, signal) => {
      children.delete(child);
      done(code ?? signal ?? "unknown");
    });
  });
  return {
    pid: child.pid ?? -1,
    url: `http://127.0.0.1:${port}`,
    tail: () => lines.slice(-30).join("\n"),
    exited,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Kills any server child still running (the cleanup of an interrupted run). */
export async function killAllServers(): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((done) => {
          child.once("exit", () => done());
          child.kill("SIGKILL");
        }),
    ),
  );
}

/**
 * Polls GET /health until it answers 200; returns the milliseconds from `since`. Fails when the
 * process exits first or `timeoutMs` passes.
 */
export async function untilHealthy(server: ServerProcess, since: number, timeoutMs = 60_000): Promise<number> {
  let gone: number | string | undefined;
  void server.exited.then((code) => {
    gone = code;
  });
  while (performance.now() - since < timeoutMs) {
    if (gone !== undefined) throw new Error(`server exited (${gone}) before /health answered:\n${server.tail()}`);
    try {
      const res = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return performance.now() - since;
    } catch {
      // not listening yet
    }
    await sleep(10);
  }
  throw new Error(`/health did not answer 200 within ${timeoutMs} ms:\n${server.tail()}`);
}

/** VmRSS of a process in MiB (Linux /proc), or undefined when it cannot be read. */
export function rssMiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; returns the peak and the last sample. */
export function sampleRss(pid: number, everyMs = 250): { stop(): { peakMiB: number; lastMiB: number } } {
  let peak = 0;
  let last = 0;
  const take = () => {
    const v = rssMiB(pid);
    if (v !== undefined) {
      last = v;
      peak = Math.max(peak, v);
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { peakMiB: peak, lastMiB: last };
    },
  };
}
