import postgres from "postgres";
import type { Db } from "../../app/db/index.js";
import { openDatabase } from "../../worker/node-db.js";

export type Backend = "pglite" | "postgres";

export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

let probe: Promise<boolean> | undefined;

/** Whether the local PostgreSQL answers. Under CI=true an absent server fails the run instead of skipping. */
export function postgresAvailable(): Promise<boolean> {
  probe ??= (async () => {
    const sql = postgres(ADMIN_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
    try {
      await sql`select 1`;
      return true;
    } catch (err) {
      if (process.env.CI === "true") {
        throw new Error(`CI=true and PostgreSQL at ${ADMIN_URL} is unreachable: ${String(err)}`);
      }
      console.warn(`PostgreSQL at ${ADMIN_URL} is unreachable; its storage suites are skipped outside CI`);
      return false;
    } finally {
      await sql.end({ timeout: 1 });
    }
  })();
  return probe;
}

/** The backends the storage suites run against: always PGlite, and PostgreSQL when it answers. */
export async function backends(): Promise<Backend[]> {
  return (await postgresAvailable()) ? ["pglite", "postgres"] : ["pglite"];
}

export interface TestDb {
  db: Db;
  backend: Backend;
  /** a second, independent connection pool to the same database (a second "instance") */
  url?: string;
  close(): Promise<void>;
}

/**
 * A migrated, empty database of its own: an in-memory PGlite, or a fresh PostgreSQL database
 * created for this suite and dropped afterwards (a database rather than a schema, because the
 * generated migrations name the public schema).
 */
export async function openTestDb(backend: Backend, opts: { poolSize?: number } = {}): Promise<TestDb> {
  if (backend === "pglite") {
    const open = await openDatabase({ dataDir: "memory://" });
    await open.migrate();
    return { db: open.db, backend, close: open.close };
  }
  const name = `chatbridge_t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const open = await openDatabase({ url: url.toString(), poolSize: opts.poolSize ?? 10 });
  await open.migrate();
  return {
    db: open.db,
    backend,
    url: url.toString(),
    async close() {
      await open.close();
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end({ timeout: 2 });
    },
  };
}
