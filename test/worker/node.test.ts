import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { MAINTENANCE_JOB } from "../../app/core/maintenance.js";
import { outboxJobs } from "../../app/db/schema.js";
import { APP_VERSION } from "../../app/version.js";
import { startNode } from "../../worker/node.js";
import { TEST_ENCRYPTION_KEY } from "../support/deps.js";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "chatbridge-node-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("Node entry", () => {
  it("serves /health on an ephemeral port with the embedded database and runs the maintenance job", async () => {
    const dataDir = tempDir();
    const node = await startNode({ PORT: "0", DATA_DIR: dataDir, LOG_LEVEL: "silent" });
    try {
      expect(node.port).toBeGreaterThan(0);
      const res = await fetch(`${node.url}/health`);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-request-id")).toBeTruthy();
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ ok: true, service: "chatbridge", version: APP_VERSION, runtime: "node", db: { status: "ok" } });

      // the key was generated once into the data folder
      const keyFile = join(dataDir, "encryption.key");
      expect(existsSync(keyFile)).toBe(true);
      expect(readFileSync(keyFile, "utf8").trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);

      // the hourly maintenance job went through the outbox and the pump
      const until = Date.now() + 10_000;
      let status: string | undefined;
      while (Date.now() < until) {
        [{ status } = { status: undefined }] = await node.db
          .select({ status: outboxJobs.status })
          .from(outboxJobs)
          .where(eq(outboxJobs.kind, MAINTENANCE_JOB));
        if (status === "done") break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(status).toBe("done");

      const home = await fetch(`${node.url}/`);
      expect(home.headers.get("content-type")).toMatch(/text\/html/);
      expect(await home.text()).toContain("chatbridge");

      const missing = await fetch(`${node.url}/no/such/route`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ ok: false, error: "not_found" });
    } finally {
      await node.close();
    }
  });

  it("keeps the generated key across restarts", async () => {
    const dataDir = tempDir();
    const first = await startNode({ PORT: "0", DATA_DIR: dataDir, LOG_LEVEL: "silent" });
    await first.close();
    const key = readFileSync(join(dataDir, "encryption.key"), "utf8");
    const second = await startNode({ PORT: "0", DATA_DIR: dataDir, LOG_LEVEL: "silent" });
    await second.close();
    expect(readFileSync(join(dataDir, "encryption.key"), "utf8")).toBe(key);
  });

  it("refuses to start on bad configuration, naming the variable", async () => {
    await expect(startNode({ PORT: "nope", DATA_DIR: tempDir(), ENCRYPTION_KEY: TEST_ENCRYPTION_KEY })).rejects.toThrow(
      /PORT: must be a whole number/,
    );
  });

  it("npm start's process prints its URL, and exits 0 on SIGTERM after a graceful stop", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "worker/node.ts"], {
      env: { ...process.env, PORT: "0", DATA_DIR: tempDir(), ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const until = Date.now() + 30_000;
      while (!/"msg":"chatbridge started"/.test(out) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      const started = JSON.parse(out.split("\n").find((l) => l.includes('"chatbridge started"'))!) as { url: string };
      expect((await fetch(`${started.url}/health`)).status).toBe(200);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(out).toContain('"msg":"chatbridge stopped"');
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
