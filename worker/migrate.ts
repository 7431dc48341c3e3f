import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { configSchema } from "../app/config.js";
import { openDatabase } from "./node-db.js";

const migrateEnvSchema = z.object({ DATABASE_URL: configSchema.shape.DATABASE_URL.unwrap() });

/**
 * `npm run db:migrate`: applies migrations/ to DATABASE_URL. Workers cannot read the migration
 * files at run time, so a deploy runs this first (README, "Deploy to Cloudflare"); Node applies
 * them itself at start. Safe to repeat: applied migrations are recorded and skipped.
 */
export async function migrateDatabase(env: Record<string, string | undefined>): Promise<void> {
  const parsed = migrateEnvSchema.safeParse({ DATABASE_URL: env.DATABASE_URL?.trim() || undefined });
  if (!parsed.success) {
    throw new Error("DATABASE_URL: set it to the postgres:// URL of the database to migrate");
  }
  const database = await openDatabase({ url: parsed.data.DATABASE_URL, poolSize: 1 });
  try {
    await database.migrate();
  } finally {
    await database.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  migrateDatabase(process.env).then(
    () => console.log("migrations applied"),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
