import { afterAll, describe, expect, it } from "vitest";
import { checkMigrations } from "../../app/core/readiness.js";
import { applyPendingMigrations } from "../../worker/migrate-on-start.js";
import { openDatabase, type OpenDb } from "../../worker/node-db.js";

describe("migrations at Node start", () => {
  let database: OpenDb | undefined;
  afterAll(async () => {
    await database?.close();
  });

  it("runs the migrator on an empty database and skips it once every migration is applied", { timeout: 180_000 }, async () => {
    database = await openDatabase({ dataDir: "memory://" });
    let migratorRuns = 0;
    const counted = {
      db: database.db,
      migrate: () => {
        migratorRuns++;
        return database!.migrate();
      },
    };
    expect(await checkMigrations(database.db)).toMatchObject({ status: "fail" });
    expect(await applyPendingMigrations(counted)).toBe("applied");
    expect(await checkMigrations(database.db)).toMatchObject({ status: "ok" });
    expect(await applyPendingMigrations(counted)).toBe("current");
    expect(migratorRuns).toBe(1);
  });
});
