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
import { type OutboundPolicy, outboundPolicy } from "../app/core/ssrf.js";
import { useNamedStatements } from "../app/db/hot-statement.js";
import type { Db } from "../app/db/index.js";
import { createApp } from "../app/index.js";
import { buildRegistry, type JobDeps } from "../app/jobs.js";
import { DiskFileStore } from "./disk-file-store.js";
import { applyPendingMigrations } from "./migrate-on-start.js";
import { openDatabase } from "./node-db.js";
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

/**
 * The guarded outbound fetch, loaded on first use or by `preload()`: undici, under it, costs
 * about 0.1 s of CPU to load, and nothing before the first outbound call needs it. Node starts
 * loading it as soon as the server listens, so a start does not wait for it and the first call
 * rarely does. (The bundle puts worker/node-fetch.ts and its undici import in a chunk of its own.)
 */
function lazyGuardedFetch(policy: OutboundPolicy): { fetch: typeof fetch; preload(onError: (err: unknown) => void): void } {
  let loading: Promise<typeof fetch> | undefined;
  const load = () =>
    (loading ??= import("./node-fetch.js").then(
      (m) => m.guardedFetch(policy),
      (err: unknown) => {
        loading = undefined; // the next call tries again
        throw err;
      },
    ));
  const lazyFetch = async (input: Parameters<typeof fetch>[0], init?: RequestInit) => (await load())(input, init);
  return {
    fetch: lazyFetch,
    // a failed load is reported here, and is again the error of the first call, which loads again
    preload: (onError) => void load().catch(onError),
  };
}

/**
 * A request's query that goes unanswered this long fails as database_unavailable (503): a
 * database host that went silent mid-connection (no RST) must not hold an HTTP caller past its
 * own timeout (providers and integrators give up after 10-15 s). The job pump keeps 20 s.
 */
const REQUEST_QUERY_TIMEOUT_MS = 8_000;

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
  useNamedStatements(config.DATABASE_PREPARED_STATEMENTS);

  const onConnectionError = (err: Error) => logger.warn("database connection lost", { error: err.message });
  const database = await openDatabase(
    config.DATABASE_URL
      ? { url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE, queryTimeoutMs: REQUEST_QUERY_TIMEOUT_MS, onConnectionError }
      : { dataDir: config.DATA_DIR },
  );
  // On PostgreSQL the job pump has connections of its own, so a backlog of jobs never makes
  // requests wait for a connection, nor a burst of requests starve the pump. PGlite is one
  // connection in this process: both share it.
  let jobDatabase: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    await applyPendingMigrations(database);
    if (config.DATABASE_URL) jobDatabase = await openDatabase({ url: config.DATABASE_URL, poolSize: config.DATABASE_JOB_POOL_SIZE, onConnectionError });
  } catch (err) {
    await database.close();
    throw err;
  }
  const jobDb = jobDatabase?.db ?? database.db;
  const closeDatabases = async () => {
    await jobDatabase?.close();
    await database.close();
  };

  const outbound = lazyGuardedFetch(outboundPolicy(config));
  const base: JobDeps = {
    db: jobDb,
    config,
    fetch: outbound.fetch,
    clock: systemClock,
    keyring: await createKeyring(config.ENCRYPTION_KEY),
    logger,
    files: new DiskFileStore(join(config.DATA_DIR, "files")),
    metrics: new MemoryMetrics(),
  };
  const pump = new OutboxPump({
    db: jobDb,
    registry: buildRegistry(base),
    clock: systemClock,
    logger,
    metrics: base.metrics,
    pollMs: config.OUTBOX_POLL_MS,
    batch: config.OUTBOX_BATCH,
    concurrency: config.OUTBOX_CONCURRENCY,
    leaseMs: config.OUTBOX_LEASE_MS,
  });
  const app = createApp({ ...base, db: database.db, queue: pump, pumpHeartbeat: () => pump.lastTickAt });

  const server = serve({ fetch: app.fetch, port: config.PORT });
  let port: number;
  try {
    port = await listen(server);
    await scheduleMaintenance(database.db, systemClock.now());
  } catch (err) {
    // a port in use or a database that went away: leave nothing open behind the error
    await new Promise<void>((r) => server.close(() => r()));
    await closeDatabases();
    throw err;
  }
  const hourly = setInterval(() => {
    scheduleMaintenance(database.db, systemClock.now())
      .then(() => pump.wake())
      .catch((err: unknown) => logger.error("maintenance scheduling failed", { error: String(err) }));
  }, 3600_000);
  hourly.unref();
  pump.start();
  outbound.preload((err) => logger.error("loading the outbound fetch failed", { error: String(err) }));

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
      await closeDatabases();
      logger.info("chatbridge stopped", result);
    })();
    return closing;
  };
  return { url, port, pump, db: database.db, close };
}

/** The process: starts, and stops gracefully on SIGTERM/SIGINT. scripts/start.mjs calls it in the built bundle. */
export async function main(): Promise<void> {
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
