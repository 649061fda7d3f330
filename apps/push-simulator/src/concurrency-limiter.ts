/** A counting semaphore: at most `limit` tries in flight at once. */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** callers that go ahead of `waiting` (retries that are due), first come first served */
  private readonly ahead: Array<() => void> = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`concurrency must be a whole number ≥ 1, not ${limit}`);
  }

  get inFlight(): number {
    return this.active;
  }

  /** `first`: ahead of every new push waiting, behind earlier `first` ones (a retry is due now; new pushes can wait) */
  acquire(first = false): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => (first ? this.ahead : this.waiting).push(resolve));
  }

  release(): void {
    const next = this.ahead.shift() ?? this.waiting.shift();
    if (next) next(); // the slot passes straight to the next waiter
    else this.active--;
  }
}
