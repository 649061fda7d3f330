interface Waiter<V> {
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
}

/**
 * Coalesces loads: keys asked for in the same turn of the event loop (a burst of requests read
 * together) go in one `loadMany`, so a burst of new calls costs one read instead of one read and
 * one pooled connection each. Nothing waits behind a load already in flight: a slow or hung read
 * delays only the keys it carries. A key asked for twice in a turn shares its load.
 */
export class LoadBatcher<V> {
  private waiting = new Map<string, Waiter<V>[]>();
  private scheduled = false;

  constructor(
    private readonly loadMany: (keys: string[]) => Promise<Map<string, V>>,
    private readonly missing: V,
    private readonly maxBatch = 500,
  ) {}

  load(key: string): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const waiters = this.waiting.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.waiting.set(key, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = [...this.waiting];
    this.waiting = new Map();
    for (let i = 0; i < all.length; i += this.maxBatch) {
      const batch = all.slice(i, i + this.maxBatch);
      this.loadMany(batch.map(([key]) => key)).then(
        (values) => {
          for (const [key, waiters] of batch) for (const w of waiters) w.resolve(values.get(key) ?? this.missing);
        },
        (error: unknown) => {
          for (const [, waiters] of batch) for (const w of waiters) w.reject(error);
        },
      );
    }
  }
}
