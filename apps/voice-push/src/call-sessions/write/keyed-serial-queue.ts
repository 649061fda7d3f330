/**
 * Runs tasks one at a time per key and concurrently across keys: the in-process half of
 * "one writer per call" (optimistic concurrency in the event store is the other half).
 */
export class KeyedSerialQueue {
  /** per key, the last task's end: undefined when it succeeded, `{ failed }` when it threw */
  private readonly tails = new Map<string, Promise<Preceding>>();

  get activeKeys(): number {
    return this.tails.size;
  }

  /** `task` is told how the task it waited behind (same key) ended; undefined when it waited for none or that one succeeded. */
  run<T>(key: string, task: (preceding: Preceding) => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve(undefined);
    const result = previous.then(task);
    const tail: Promise<Preceding> = result.then(
      () => undefined,
      (error: unknown) => ({ failed: error }),
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Resolves when every task queued so far has finished (graceful shutdown). */
  async drain(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}

/** How the task a task waited behind ended: undefined (none, or it succeeded) or what it threw. */
export type Preceding = { failed: unknown } | undefined;
