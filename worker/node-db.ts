import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { type Db, schema } from "../app/db/index.js";

export const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../migrations");

export interface OpenDb {
  db: Db;
  driver: "pglite" | "postgres";
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/**
 * PGlite's own start parameters with 32 MB of shared buffers instead of PostgreSQL's 128 MB:
 * the embedded database zeroes its shared memory at every start, about 3 ms per MB here, so
 * this takes ~300 ms off `npm start` (open on an existing folder: ~800 -> ~500 ms). Pages beyond
 * the buffers are read back through the file system's cache; a connector's working set (recent
 * messages, due jobs) fits in 32 MB.
 */
const PGLITE_START_PARAMS = [...PGlite.defaultStartParams, "-c", "shared_buffers=32MB"];

/**
 * PostgreSQL through node-postgres (pg) when a URL is given, else PGlite embedded in `dataDir`
 * (or in memory when dataDir is "memory://", for tests).
 *
 * Why pg and not postgres.js on Node: the fault suite (test/faults/database-outage.test.ts)
 * cut the database's TCP connections mid-transaction, and postgres.js 3.4.9 then crashed the
 * process (a deferred write on a connection whose socket it had already dropped: "Cannot read
 * properties of null (reading 'write')" in connection.js nextWrite). pg's pool drops a broken
 * client and dials a fresh one on the next query, with a connect timeout we set.
 * Workers keep postgres.js (worker/cloudflare.ts): one short-lived connection per request
 * through Hyperdrive, where that crash cannot take a process down.
 */
export async function openDatabase(opts: {
  url?: string;
  dataDir?: string;
  poolSize?: number;
  /**
   * how long a query may go unanswered before it fails as "database unavailable": requests'
   * pool below their callers' patience (a silent host must cost a 503, not a client timeout),
   * the job pump's longer
   */
  queryTimeoutMs?: number;
  /** a pooled connection that failed between queries (the database restarted): logged, not fatal */
  onConnectionError?: (err: Error) => void;
}): Promise<OpenDb> {
  if (opts.url) {
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 10,
      // A database that is away must cost a request seconds, not hang it: requests then
      // answer 503 database_unavailable quickly (core/database-errors.ts). Reconnecting has
      // no backoff of its own: each query dials again, so recovery is immediate.
      connectionTimeoutMillis: 1_500,
      // a connection that stops answering mid-query (a dead host, no RST) fails instead of hanging
      query_timeout: opts.queryTimeoutMs ?? 20_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
    });
    // Without a listener a connection's error is thrown as an uncaught exception: the pool
    // listens to idle clients, and a checked-out client (between two statements of a
    // transaction) needs one of its own. The failed client's next query rejects, and the pool
    // discards it when it is released.
    pool.on("error", () => {}); // the client's own listener below reports it
    pool.on("connect", (client) => client.on("error", (err) => opts.onConnectionError?.(err)));
    const db = drizzlePg({ client: pool, schema });
    return {
      db,
      driver: "postgres",
      migrate: () => migratePg(db, { migrationsFolder: MIGRATIONS_DIR }),
      close: () => pool.end(),
    };
  }
  const dataDir = opts.dataDir ?? "./data";
  let client: PGlite;
  if (dataDir === "memory://") {
    client = new PGlite({ startParams: PGLITE_START_PARAMS });
  } else {
    const dir = join(dataDir, "pglite");
    mkdirSync(dir, { recursive: true });
    client = new PGlite(dir, { startParams: PGLITE_START_PARAMS });
  }
  await client.waitReady;
  const db = drizzlePglite({ client, schema });
  return {
    db,
    driver: "pglite",
    migrate: () => migratePglite(db, { migrationsFolder: MIGRATIONS_DIR }),
    close: () => client.close(),
  };
}
