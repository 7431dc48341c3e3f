import type { Db } from "../db/index.js";

/** Running work per key, per database handle (one handle per process, so per process). */
const flights = new WeakMap<Db, Map<string, Promise<unknown>>>();

/**
 * Callers in this process that ask for the same `key` while `run` is in flight share its
 * promise instead of starting their own (a CRM's single-use refresh token must be spent once).
 * Keys name their owner (`bitrix24:<member_id>`, `amocrm:<portal id>`); across processes the
 * callers take turns by other means (a lease on the row).
 */
export function singleFlight<T>(db: Db, key: string, run: () => Promise<T>): Promise<T> {
  let perDb = flights.get(db);
  if (!perDb) {
    perDb = new Map();
    flights.set(db, perDb);
  }
  const running = perDb.get(key);
  if (running) return running as Promise<T>;
  const map = perDb;
  const started = run().finally(() => map.delete(key));
  map.set(key, started);
  return started;
}
