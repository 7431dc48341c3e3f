import type { Db } from "../db/index.js";

/**
 * Short-lived in-process copies of the lookups every hot request makes: a webhook API token to
 * its channel, a provider hook secret to its channel. Without them each request pays a database
 * round trip for rows that change a few times a year.
 *
 * Safe across instances by time: an entry lives at most `ttlMs` (LOOKUP_CACHE_MS, 2 s by
 * default), so a token revoked or a channel deleted or blocked through another instance stops
 * working here within that time. A channel's state, credentials, pacing or tokens changed, or
 * the channel deleted, through this instance forget it at once (forgetChannel). Whether the
 * channel is bound to a CRM line (send_to_imol's mirror) is only refreshed by time: a binding
 * made or removed is seen within `ttlMs`, and the mirror job checks the binding again anyway.
 * On Workers an isolate lives for many requests, so the same holds there.
 *
 * Written here rather than taken from an LRU library: what is needed is a TTL map with a size
 * cap and removal by channel id, a few lines, and it must run unchanged on Workers.
 */
export class LookupCache<V extends { channelId: string }> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    /** monotonic milliseconds; injected by tests */
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(key: string): V | undefined {
    if (this.ttlMs <= 0) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V): void {
    if (this.ttlMs <= 0) return;
    // Maps iterate in insertion order: the oldest entry goes first when full
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, until: this.now() + this.ttlMs });
  }

  forgetChannel(channelId: string): void {
    for (const [key, entry] of this.entries) if (entry.value.channelId === channelId) this.entries.delete(key);
  }
}

/** Every cache of this process by name and database handle (tests open many databases in one process). */
const caches = new Map<string, WeakMap<Db, LookupCache<{ channelId: string }>>>();
const allCaches = new Set<WeakRef<LookupCache<{ channelId: string }>>>();

/** The named cache of this database handle, created on first use with the given time to live. */
export function lookupCache<V extends { channelId: string }>(name: string, db: Db, ttlMs: number): LookupCache<V> {
  let byDb = caches.get(name);
  if (!byDb) {
    byDb = new WeakMap();
    caches.set(name, byDb);
  }
  let cache = byDb.get(db);
  if (!cache) {
    cache = new LookupCache(ttlMs);
    byDb.set(db, cache);
    allCaches.add(new WeakRef(cache));
  }
  return cache as unknown as LookupCache<V>;
}

/**
 * Drops every cached lookup that names the channel, in this process: call it after changing
 * the channel's state, credentials or tokens, or deleting it. Other instances see the change
 * when their entries expire.
 */
export function forgetChannel(channelId: string): void {
  for (const ref of allCaches) {
    const cache = ref.deref();
    if (cache) cache.forgetChannel(channelId);
    else allCaches.delete(ref);
  }
}
