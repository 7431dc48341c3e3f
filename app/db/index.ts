import { getTableColumns, type SQL, sql, type Table } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import * as schema from "./schema.js";

export { schema };
export type Schema = typeof schema;

/**
 * The database handle used by the whole app. Both drivers (postgres.js on Node and Workers,
 * PGlite embedded) produce a PgDatabase; a transaction is one too, so every function that
 * takes a Db also runs inside a caller's transaction.
 */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

/**
 * Runs raw SQL and returns its rows. postgres.js answers with an array, PGlite with
 * `{ rows }`; callers must not care which driver is behind the Db.
 */
export async function queryRows<T extends Record<string, unknown>>(db: Db, query: SQL): Promise<T[]> {
  return rowsOf<T>(await db.execute(query));
}

/** The rows of any driver's answer: postgres.js gives an array, node-postgres and PGlite `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  if (result && typeof result === "object" && "rows" in result && Array.isArray(result.rows)) return result.rows as T[];
  throw new Error("unexpected result shape from the database driver");
}

/**
 * A row of `table` as raw SQL returned it (snake_case names, driver types), in the shape
 * drizzle's own queries give (camelCase keys, Dates, parsed JSON): for the few hot statements
 * written as one raw query (core/messages/insert-message.ts, core/outbox/claim.ts).
 */
export function fromDriverRow<T extends Table>(table: T, raw: Record<string, unknown>, prefix = ""): T["$inferSelect"] {
  const out: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = raw[prefix + column.name];
    out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return out as T["$inferSelect"];
}

/** The row of a left-joined table read back by its prefix (columnList), or null when the join found none. */
export function fromJoinedRow<T extends Table>(table: T, raw: Record<string, unknown>, prefix: string): T["$inferSelect"] | null {
  return raw[`${prefix}id`] == null ? null : fromDriverRow(table, raw, prefix);
}

/**
 * The columns of `table` under `alias` for a hand-written select, each renamed `<prefix><name>`
 * so two tables' rows can come back in one result (read back with fromDriverRow and the prefix).
 */
export function columnList<T extends Table>(table: T, alias: string, prefix: string): SQL {
  const names = Object.values(getTableColumns(table)).map((column) => `${alias}."${column.name}" as "${prefix}${column.name}"`);
  return sql.raw(names.join(", "));
}
