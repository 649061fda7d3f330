/** What an entry weighs, and how much the cache may hold in all. */
export interface CacheWeight<T> {
  weigh(value: T): number;
  maxWeight: number;
}

/**
 * A bounded LRU of call states. Only this process writes a call (the keyed queue), so a cached
 * state stays current; when another instance wrote first the append conflicts and the caller
 * evicts and reloads.
 *
 * Bounded twice: by entries, and by their total weight when one is given. A call's state grows
 * with its pushes (in memory an ordinary call takes ~5 KB, one at the 256-push limit ~180 KB, or
 * up to 16 MiB with 64 KiB pushes), so a count alone would let a sender looping on many callIds
 * fill the entries with full calls: gigabytes.
 */
export class SessionCache<T> {
  private readonly entries = new Map<string, { value: T; weight: number }>();
  private weight = 0;

  constructor(
    private readonly capacity: number,
    private readonly weights?: CacheWeight<T>,
  ) {}

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: T): void {
    this.delete(key);
    const weight = this.weights?.weigh(value) ?? 0;
    const maxWeight = this.weights?.maxWeight ?? Infinity;
    // one entry heavier than the whole bound is not kept: making room for it would empty the cache
    if (weight > maxWeight) return;
    this.entries.set(key, { value, weight });
    this.weight += weight;
    while (this.entries.size > this.capacity || this.weight > maxWeight) {
      this.delete(this.entries.keys().next().value as string);
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.weight -= entry.weight;
  }

  clear(): void {
    this.entries.clear();
    this.weight = 0;
  }

  get size(): number {
    return this.entries.size;
  }
}
