import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateDatabase } from "../../worker/migrate.js";
import { ADMIN_URL, postgresAvailable } from "../support/db.js";

describe.skipIf(!(await postgresAvailable()))("npm run db:migrate", () => {
  const name = `chatbridge_m_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;

  beforeAll(async () => {
    await admin.unsafe(`create database "${name}"`);
  });
  afterAll(async () => {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end({ timeout: 2 });
  });

  it("creates the schema in an empty database and is a no-op the second time", async () => {
    await migrateDatabase({ DATABASE_URL: url.toString() });
    await migrateDatabase({ DATABASE_URL: url.toString() });
    const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
    try {
      const tables = await sql<{ table_name: string }[]>`
        select table_name from information_schema.tables where table_schema = 'public' order by table_name`;
      expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(["files", "outbox_jobs", "portals"]));
      const [applied] = await sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
      expect(applied?.n).toBeGreaterThan(0);
    } finally {
      await sql.end({ timeout: 2 });
    }
  });

  it("refuses to run without a postgres DATABASE_URL", async () => {
    await expect(migrateDatabase({})).rejects.toThrow(/DATABASE_URL/);
    await expect(migrateDatabase({ DATABASE_URL: "mysql://x" })).rejects.toThrow(/DATABASE_URL/);
  });
});
