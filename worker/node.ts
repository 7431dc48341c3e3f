import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type ServerType, serve } from "@hono/node-server";
import { ConfigError, configWarnings, loadConfig } from "../app/config.js";
import { systemClock } from "../app/core/clock.js";
import { createLogger } from "../app/core/logger.js";
import { scheduleMaintenance } from "../app/core/maintenance.js";
import { MemoryMetrics } from "../app/core/metrics.js";
import { OutboxPump } from "../app/core/outbox/pump.js";
import { createKeyring } from "../app/core/secrets.js";
import type { Db } from "../app/db/index.js";
import { createApp } from "../app/index.js";
import { buildRegistry, type JobDeps } from "../app/jobs.js";
import { DiskFileStore } from "./disk-file-store.js";
import { openDatabase } from "./node-db.js";
import { guardedFetch } from "./node-fetch.js";
import { ensureLocalEncryptionKey } from "./node-key.js";
import { installAsyncRequestScope } from "./request-scope-als.js";

export interface RunningNode {
  url: string;
  port: number;
  pump: OutboxPump;
  db: Db;
  /** graceful stop: no new connections, in-flight jobs finish up to the deadline, leases released */
  close(): Promise<void>;
}

function listen(server: ServerType): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.once("listening", () => {
      const addr = server.address();
      resolve(typeof addr === "object" && addr ? addr.port : 0);
    });
  });
}

/** Starts chatbridge on Node: config, database and migrations, job pump, HTTP server. */
export async function startNode(env: Record<string, string | undefined> = process.env): Promise<RunningNode> {
  const dataDir = env.DATA_DIR?.trim() || "./data";
  const fullEnv = { ...env };
  if (!fullEnv.ENCRYPTION_KEY?.trim()) {
    fullEnv.ENCRYPTION_KEY = ensureLocalEncryptionKey(dataDir, (m) => console.warn(m));
  }
  const config = loadConfig(fullEnv, "node");
  const logger = createLogger(config.LOG_LEVEL);
  for (const warning of configWarnings(config)) logger.warn(warning);
  installAsyncRequestScope();

  const database = await openDatabase(
    config.DATABASE_URL
      ? { url: config.DATABASE_URL, onConnectionError: (err) => logger.warn("database connection lost", { error: err.message }) }
      : { dataDir: config.DATA_DIR },
  );
  try {
    await database.migrate();
  } catch (err) {
    await database.close();
    throw err;
  }

  const base: JobDeps = {
    db: database.db,
    config,
    fetch: guardedFetch({ allowLoopback: config.OUTBOUND_ALLOW_LOOPBACK }),
    clock: systemClock,
    keyring: await createKeyring(config.ENCRYPTION_KEY),
    logger,
    files: new DiskFileStore(join(config.DATA_DIR, "files")),
    metrics: new MemoryMetrics(),
  };
  const pump = new OutboxPump({
    db: database.db,
    registry: buildRegistry(base),
    clock: systemClock,
    logger,
    metrics: base.metrics,
    pollMs: config.OUTBOX_POLL_MS,
    batch: config.OUTBOX_BATCH,
    concurrency: config.OUTBOX_CONCURRENCY,
    leaseMs: config.OUTBOX_LEASE_MS,
  });
  const app = createApp({ ...base, queue: pump, pumpHeartbeat: () => pump.lastTickAt });

  const server = serve({ fetch: app.fetch, port: config.PORT });
  let port: number;
  try {
    port = await listen(server);
    await scheduleMaintenance(database.db, systemClock.now());
  } catch (err) {
    // a port in use or a database that went away: leave nothing open behind the error
    await new Promise<void>((r) => server.close(() => r()));
    await database.close();
    throw err;
  }
  const hourly = setInterval(() => {
    scheduleMaintenance(database.db, systemClock.now())
      .then(() => pump.wake())
      .catch((err: unknown) => logger.error("maintenance scheduling failed", { error: String(err) }));
  }, 3600_000);
  hourly.unref();
  pump.start();

  const url = `http://localhost:${port}`;
  logger.info("chatbridge started", {
    url,
    public_url: config.PUBLIC_URL,
    health: `${url}/health`,
    database: database.driver === "pglite" ? `embedded (${config.DATA_DIR})` : "postgres",
  });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(hourly);
      const stopped = new Promise<void>((r) => server.close(() => r()));
      const result = await pump.stop(config.SHUTDOWN_DEADLINE_MS);
      await stopped;
      await database.close();
      logger.info("chatbridge stopped", result);
    })();
    return closing;
  };
  return { url, port, pump, db: database.db, close };
}

async function main(): Promise<void> {
  let running: RunningNode;
  try {
    running = await startNode();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const shutdown = (signal: string) => {
    console.log(JSON.stringify({ level: "info", msg: `received ${signal}, shutting down` }));
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  void main();
}
