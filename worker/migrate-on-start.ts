import { checkMigrations } from "../app/core/readiness.js";
import type { OpenDb } from "./node-db.js";

/**
 * Node applies migrations at every start. On an existing database they are almost always
 * current, and drizzle's migrator then still reads and hashes every migration file and runs its
 * bookkeeping statements before it finds nothing to do (about 0.1 s of CPU on PGlite). The
 * readiness check answers the same question in two small queries: drizzle applies exactly the
 * migrations whose journal `when` is newer than the newest applied one, and the check compares
 * that newest one with this build's last entry. Behind, missing, or a check that fails for any
 * reason: the migrator runs as before and reports its own errors.
 */
export async function applyPendingMigrations(database: Pick<OpenDb, "db" | "migrate">): Promise<"applied" | "current"> {
  const status = await checkMigrations(database.db).then(
    (check) => check.status,
    () => "fail" as const,
  );
  if (status === "ok") return "current";
  await database.migrate();
  return "applied";
}
