import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../../..");

export interface ServerProcess {
  url: string;
  pid: number;
  /** every line the process wrote, stdout and stderr */
  lines: string[];
  /** resolves with the exit code (or the signal's name) once the process is gone */
  exited: Promise<number | string>;
  kill(signal: NodeJS.Signals): Promise<number | string>;
}

const running = new Set<ChildProcess>();

/**
 * Starts the real Node entry (`worker/node.ts`, what `npm start` runs) as a child process and
 * waits for its "chatbridge started" line. Nothing of the test's own process is shared with
 * it: the database, the fakes and the key come through the environment, as in production.
 */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "worker/node.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", PORT: "0", LOG_LEVEL: "info", OUTBOUND_ALLOW_LOOPBACK: "true", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const lines: string[] = [];
  const exited = new Promise<number | string>((done) => {
    child.once("exit", (code, signal) => {
      running.delete(child);
      done(code ?? signal ?? "unknown");
    });
  });
  const url = await new Promise<string>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start in 30 s:\n${lines.join("\n")}`)), 30_000);
    const read = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line.trim()) continue;
        lines.push(line);
        const started = /"msg":"chatbridge started".*?"url":"([^"]+)"/.exec(line);
        if (started) {
          clearTimeout(timer);
          ready(started[1]!);
        }
      }
    };
    child.stdout!.on("data", read);
    child.stderr!.on("data", read);
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`server exited (${code}) before it started:\n${lines.join("\n")}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    lines,
    exited,
    kill(signal) {
      child.kill(signal);
      return exited;
    },
  };
}

/** Leaves no process behind, whatever a test did (afterAll of every fault suite). */
export async function killAllServers(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((done) => {
          child.once("exit", () => done());
          child.kill("SIGKILL");
        }),
    ),
  );
}
