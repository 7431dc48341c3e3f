/** What a fake saw: each message key (our text) with how often and when it first arrived. */
export class Arrivals {
  private readonly seen = new Map<string, { count: number; firstAt: number }>();
  /** arrivals in order, as performance.now() times */
  readonly times: number[] = [];

  record(key: string): void {
    const now = performance.now();
    this.times.push(now);
    const entry = this.seen.get(key);
    if (entry) entry.count += 1;
    else this.seen.set(key, { count: 1, firstAt: now });
  }

  firstAt(key: string): number | undefined {
    return this.seen.get(key)?.firstAt;
  }

  /** how many of `keys` arrived at least once */
  arrivedOf(keys: Iterable<string>): number {
    let n = 0;
    for (const key of keys) if (this.seen.has(key)) n += 1;
    return n;
  }

  /** lost: accepted but never arrived; duplicated: extra arrivals of accepted keys, and any arrival of a key never accepted */
  tally(accepted: ReadonlySet<string>, prefix: string): { accepted: number; arrived: number; lost: number; duplicated: number; unexpected: number } {
    let arrived = 0;
    let duplicated = 0;
    let unexpected = 0;
    for (const key of accepted) {
      const entry = this.seen.get(key);
      if (!entry) continue;
      arrived += 1;
      duplicated += entry.count - 1;
    }
    for (const [key, entry] of this.seen) if (key.startsWith(prefix) && !accepted.has(key)) unexpected += entry.count;
    return { accepted: accepted.size, arrived, lost: accepted.size - arrived, duplicated, unexpected };
  }
}
