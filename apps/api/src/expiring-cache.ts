/**
 * Values read from the database and kept in memory for `ttlMs`, per key. The caches of hot paths
 * (API keys, program facts, fraud settings, webhook subscriptions) use it; each drops its entries
 * at once on the matching invalidation. When `max` keys are held it starts again empty, which
 * bounds memory without tracking use.
 */
export class ExpiringCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly max = 10_000,
  ) {}

  get(key: string): V | undefined {
    const hit = this.entries.get(key);
    return hit && hit.until > Date.now() ? hit.value : undefined;
  }

  set(key: string, value: V) {
    if (this.entries.size >= this.max) this.entries.clear();
    this.entries.set(key, { value, until: Date.now() + this.ttlMs });
  }

  delete(key: string) {
    this.entries.delete(key);
  }

  /** Drops every entry the test matches. */
  deleteWhere(test: (value: V, key: string) => boolean) {
    for (const [key, entry] of this.entries) if (test(entry.value, key)) this.entries.delete(key);
  }
}
