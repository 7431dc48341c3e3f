import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { type Db, schema } from "../app/db/index.js";

export const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../migrations");

export interface OpenDb {
  db: Db;
  driver: "pglite" | "postgres";
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/**
 * PostgreSQL through postgres.js when a URL is given, else PGlite embedded in `dataDir`
 * (or in memory when dataDir is "memory://", for tests).
 */
export async function openDatabase(opts: { url?: string; dataDir?: string; poolSize?: number }): Promise<OpenDb> {
  if (opts.url) {
    const client = postgres(opts.url, { max: opts.poolSize ?? 10, onnotice: () => {} });
    const db = drizzlePostgres({ client, schema });
    return {
      db,
      driver: "postgres",
      migrate: () => migratePostgres(db, { migrationsFolder: MIGRATIONS_DIR }),
      close: () => client.end({ timeout: 5 }),
    };
  }
  const dataDir = opts.dataDir ?? "./data";
  let client: PGlite;
  if (dataDir === "memory://") {
    client = new PGlite();
  } else {
    const dir = join(dataDir, "pglite");
    mkdirSync(dir, { recursive: true });
    client = new PGlite(dir);
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
