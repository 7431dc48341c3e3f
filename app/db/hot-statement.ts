import { type SQL, sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { type Db, rowsOf } from "./index.js";

/**
 * A statement on a hot path (the webhook API's insert, the outbox claim, the send job's reads
 * and writes), built ONCE with placeholders instead of on every call, and run as a named
 * prepared statement, so on PostgreSQL each pooled connection parses and plans it once.
 *
 * Why our own: drizzle's `.prepare(name)` covers its query builders but not raw statements
 * (`db.execute` takes no name) and not the data-modifying CTEs the hot paths are written as;
 * building those per call was ~15-20% of the server's CPU in the load bench's profile
 * (bench/load.ts), and PostgreSQL re-planned each one. This runs through the session of the
 * Db it is given (drizzle's own prepareQuery), so it works the same on node-postgres, PGlite
 * (which ignores the name) and postgres.js on Workers, and inside a transaction.
 *
 * Placeholder values go to the driver as given: pass what the column's type reads (ISO text
 * for timestamps, JSON text for jsonb, `{a,b}` text or arrays for arrays), and cast in the SQL
 * where PostgreSQL cannot infer the type (`${p("at")}::timestamptz`).
 */
export interface HotStatement<K extends string> {
  readonly name: string;
  rows<T extends Record<string, unknown>>(db: Db, values: Readonly<Record<K, unknown>>): Promise<T[]>;
}

const dialect = new PgDialect();

/** A placeholder usable both in raw sql`` templates and in a query builder's values/set. */
export function placeholder(name: string): SQL {
  return sql`${sql.placeholder(name)}`;
}

interface Runnable {
  execute(values: Record<string, unknown>): Promise<unknown>;
}
interface SessionLike {
  prepareQuery(query: { sql: string; params: unknown[] }, fields: undefined, name: string | undefined, arrayMode: boolean): Runnable;
}

let serial = 0;
let named = true;

/**
 * DATABASE_PREPARED_STATEMENTS=false (worker/node.ts): the statements still go built once, but
 * unnamed, for a pooler in transaction mode that cannot keep a connection's prepared statements
 * (PgBouncer before 1.21, Supabase's port 6543). Set before the first query.
 */
export function useNamedStatements(on: boolean): void {
  named = on;
}

export function hotStatement<K extends string>(base: string, build: (p: (key: K) => SQL) => SQL): HotStatement<K> {
  // unique in this process: two shapes of one statement never share a name on a connection
  const name = `cb_${base}_${++serial}`;
  let query: { sql: string; params: unknown[] } | undefined;
  const perSession = new WeakMap<object, Runnable>();
  return {
    name,
    async rows<T extends Record<string, unknown>>(db: Db, values: Readonly<Record<K, unknown>>): Promise<T[]> {
      query ??= dialect.sqlToQuery(build((key) => placeholder(key)));
      const session = db._.session as unknown as SessionLike;
      let prepared = perSession.get(session);
      if (!prepared) {
        prepared = session.prepareQuery(query, undefined, named ? name : undefined, false);
        perSession.set(session, prepared);
      }
      return rowsOf<T>(await prepared.execute(values as Record<string, unknown>));
    },
  };
}

/**
 * Statements whose text depends on a few choices (which columns a row sets, how many jobs come
 * with a message): one hot statement per shape, made on first use. Shapes come from code paths,
 * not from data, so there are few of them.
 */
export class HotShapes<K extends string> {
  private readonly shapes = new Map<string, HotStatement<K>>();

  constructor(private readonly base: string) {}

  of(shape: string, build: (p: (key: K) => SQL) => SQL): HotStatement<K> {
    let statement = this.shapes.get(shape);
    if (!statement) {
      statement = hotStatement(this.base, build);
      this.shapes.set(shape, statement);
    }
    return statement;
  }
}
