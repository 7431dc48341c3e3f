import { spawn } from "node:child_process";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TEST_ENCRYPTION_KEY } from "../support/deps.js";

const ROOT = resolve(import.meta.dirname, "../..");

/**
 * `npm start` is scripts/start.mjs: build dist/ when the sources changed, then run it. The test
 * runs it in a copy of the project (sources, scripts, package files; node_modules linked), so
 * its builds and its simulated source edit never touch the checkout.
 */
const work = mkdtempSync(join(tmpdir(), "chatbridge-start-"));
const project = join(work, "project");
const dataDir = join(work, "data");
afterAll(() => rmSync(work, { recursive: true, force: true }));

function copyProject(dest: string): void {
  mkdirSync(join(dest, "scripts"), { recursive: true });
  for (const dir of ["app", "worker", "migrations"]) cpSync(join(ROOT, dir), join(dest, dir), { recursive: true });
  for (const file of ["package.json", "package-lock.json", "scripts/start.mjs", "scripts/build-node.mjs"]) {
    cpSync(join(ROOT, file), join(dest, file));
  }
  symlinkSync(join(ROOT, "node_modules"), join(dest, "node_modules"), "dir");
}

interface StartResult {
  lines: string[];
  health: number;
  exitCode: number | null;
}

/** Runs the start script until "chatbridge started", asks /health, stops it with SIGTERM. */
async function startOnce(): Promise<StartResult> {
  const child = spawn(process.execPath, [join(project, "scripts", "start.mjs")], {
    cwd: project,
    env: { PATH: process.env.PATH ?? "", PORT: "0", DATA_DIR: dataDir, ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  try {
    const url = await new Promise<string>((ready, fail) => {
      const read = (chunk: Buffer) => {
        for (const line of chunk.toString("utf8").split("\n")) {
          if (!line.trim()) continue;
          lines.push(line);
          const started = /"msg":"chatbridge started".*?"url":"([^"]+)"/.exec(line);
          if (started) ready(started[1]!);
        }
      };
      child.stdout.on("data", read);
      child.stderr.on("data", read);
      void exited.then((code) => fail(new Error(`start script exited (${code}) before the server started:\n${lines.join("\n")}`)));
    });
    const health = (await fetch(`${url}/health`)).status;
    child.kill("SIGTERM");
    return { lines, health, exitCode: await exited };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

const built = (lines: string[]) => lines.some((l) => l.includes("built dist/node.js"));
const bundle = () => statSync(join(project, "dist", "node.js"));
const stamp = () => readFileSync(join(project, "dist", "node.stamp"), "utf8");

describe("npm start (scripts/start.mjs)", () => {
  it("builds on first start, reuses the build while the sources are unchanged, rebuilds after a change", { timeout: 300_000 }, async () => {
    copyProject(project);

    // a fresh checkout and a fresh data folder: build, then the embedded database is created
    const first = await startOnce();
    expect(built(first.lines)).toBe(true);
    expect(first.health).toBe(200);
    expect(first.exitCode).toBe(0);
    expect(first.lines.some((l) => l.includes('"msg":"chatbridge stopped"'))).toBe(true);
    // the outbound fetch (undici) lives in a chunk of its own, loaded after the server listens
    expect(first.lines.some((l) => l.includes("loading the outbound fetch failed"))).toBe(false);
    expect(readdirSync(join(project, "dist", "chunks")).some((f) => /^node-fetch-\w+\.js$/.test(f))).toBe(true);
    const firstBundle = bundle();
    const firstStamp = stamp();

    // nothing changed: the same bundle runs, on the existing data folder
    const second = await startOnce();
    expect(built(second.lines)).toBe(false);
    expect(second.health).toBe(200);
    expect(second.exitCode).toBe(0);
    expect(bundle().mtimeMs).toBe(firstBundle.mtimeMs);
    expect(bundle().ino).toBe(firstBundle.ino);
    expect(stamp()).toBe(firstStamp);

    // a source file is edited (its modification time moves): the next start builds again
    const edited = join(project, "app", "version.ts");
    const later = new Date(statSync(edited).mtimeMs + 60_000);
    utimesSync(edited, later, later);
    const third = await startOnce();
    expect(built(third.lines)).toBe(true);
    expect(third.health).toBe(200);
    expect(third.exitCode).toBe(0);
    expect(stamp()).not.toBe(firstStamp);
    expect(bundle().ino).not.toBe(firstBundle.ino);
  });

  it("stops with esbuild's message and exit code 1 when the sources do not compile", { timeout: 120_000 }, async () => {
    const broken = join(work, "broken");
    copyProject(broken);
    appendFileSync(join(broken, "worker", "node.ts"), "\nexport const = ;\n");
    const child = spawn(process.execPath, [join(broken, "scripts", "start.mjs")], {
      cwd: broken,
      env: { PATH: process.env.PATH ?? "", PORT: "0", DATA_DIR: join(work, "data-broken"), ENCRYPTION_KEY: TEST_ENCRYPTION_KEY },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((done) => child.once("exit", (c) => done(c)));
    expect(code).toBe(1);
    expect(err).toMatch(/worker\/node\.ts/);
  });
});
