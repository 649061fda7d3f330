import { WrongExpectedVersionError, type AlsoWrite, type AppendRequest, type EventStore, type StoredEvent } from '#event-store';
import { isStatementTimeout, isStorageUnavailable } from '../../database/storage-errors.js';

interface Pending<T> {
  request: AppendRequest;
  extra: T;
  resolve: (events: StoredEvent[]) => void;
  reject: (error: unknown) => void;
}

/** What the whole batch writes besides the events, in the same statement (the read model). */
export type BatchWrite<T> = (extras: T[]) => AlsoWrite;

/** Told of each batch that committed: how long it took (s) and how many appends it carried. */
export type CommitObserver = (seconds: number, appends: number) => void;

export interface CommitBatcherOptions {
  observe?: CommitObserver;
  /**
   * Commits running at once; default 2, the second only beside a slow one (`overlapAfterMs`). A
   * commit is one statement (one round trip), and while it runs the next batch grows; measured
   * here, one at a time gave 2,940–3,005 pushes/s against 2,660–2,815 for 2 and 2,630 for 3 (closed
   * loop, 64 senders). More than one is safe: a call has at most one append pending (the writer's
   * keyed queue), so two batches never touch the same stream.
   */
  maxInFlight?: number;
  /**
   * A further commit starts only once the latest one has run this long (ms); default 25. A commit
   * takes a few ms, but now and then one takes 50–100 ms to answer (its Postgres backend shares two cores
   * with everything else): every push that arrives meanwhile waits for it and then for its own,
   * larger batch, and a few in a row held pushes for 100–470 ms at half the saturation rate. Beside
   * a slow commit the next batch goes at once; otherwise batches stay as large as one at a time makes them.
   */
  overlapAfterMs?: number;
  /** appends in one statement at most; default 256 */
  maxBatch?: number;
}

/**
 * Group commit: appends that arrive while a commit is in flight wait and then go to Postgres
 * together in one statement, so a burst of pushes costs one round trip and one commit instead of one each.
 * A batch whose conflict names a stream goes again without that append; one that fails for any
 * other reason but the database being away is retried request by request, so one stream's
 * conflict (or one bad row) never fails its neighbours. When the database is away,
 * the batch and every append waiting behind it fail at once (answered 503; the sender retries).
 */
export class CommitBatcher<T> {
  private pending: Pending<T>[] = [];
  private inFlight = 0;
  /** performance.now() when the latest commit started */
  private startedAt = 0;
  private overlapTimer: NodeJS.Timeout | null = null;
  /** when the first statement timeout since the last commit that went through was seen */
  private firstStatementTimeoutAt: number | null = null;

  private readonly observe: CommitObserver;
  private readonly maxInFlight: number;
  private readonly overlapAfterMs: number;
  private readonly maxBatch: number;

  constructor(
    private readonly store: EventStore,
    private readonly batchWrite: BatchWrite<T>,
    options: CommitBatcherOptions = {},
  ) {
    this.observe = options.observe ?? (() => undefined);
    this.maxInFlight = options.maxInFlight ?? 2;
    this.overlapAfterMs = options.overlapAfterMs ?? 25;
    this.maxBatch = options.maxBatch ?? 256;
  }

  submit(request: AppendRequest, extra: T): Promise<StoredEvent[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ request, extra, resolve, reject });
      this.flush();
    });
  }

  private flush(): void {
    while (this.pending.length > 0 && this.inFlight < this.maxInFlight) {
      const waitMs = this.inFlight === 0 ? 0 : this.startedAt + this.overlapAfterMs - performance.now();
      if (waitMs > 0) {
        this.overlapTimer ??= setTimeout(() => {
          this.overlapTimer = null;
          this.flush();
        }, waitMs);
        return;
      }
      const batch = this.pending.splice(0, this.maxBatch);
      this.inFlight += 1;
      this.startedAt = performance.now();
      void this.commit(batch).finally(() => {
        this.inFlight -= 1;
        this.flush();
      });
    }
  }

  /**
   * Commits `batch`; `waiting`: appends taken with it but not tried yet (the rest of a batch being
   * retried one by one). Returns false when it found the database away: then the batch, `waiting`
   * and every append pending have failed.
   */
  private async commit(batch: Pending<T>[], waiting: Pending<T>[] = []): Promise<boolean> {
    const started = performance.now();
    let stored: StoredEvent[][];
    try {
      stored = await this.append(batch);
    } catch (error) {
      // One statement that waited too long (a lock held elsewhere) fails its own appends, and the
      // ones queued behind it try for themselves (see isStatementTimeout). Another, from a batch
      // that started after the first had timed out (and no commit since), is a stall: every batch would wait its
      // own 1.5 s in turn, past the sender's 3 s try, so the queue fails at once as in an outage.
      // (A batch that started beside the first waited on the same lock at the same time.)
      if (isStatementTimeout(error)) {
        const stalled = this.firstStatementTimeoutAt !== null && started > this.firstStatementTimeoutAt;
        this.firstStatementTimeoutAt ??= performance.now();
        if (!stalled) {
          for (const p of batch) p.reject(error);
          return true;
        }
      }
      if (isStorageUnavailable(error)) {
        // Every append not yet tried fails with it: an attempt of its own would make it wait for
        // the pool's connect timeout once more, past the sender's 3 s try, only to be answered 503
        // all the same. The next append to arrive tries again.
        for (const p of [...batch, ...waiting, ...this.pending.splice(0)]) p.reject(error);
        return false;
      }
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return true;
      }
      // A conflict names its streams (another instance wrote those calls first): those appends
      // fail and the rest go again as one batch. One by one, a stale state on one call — common
      // with instances that share calls — would turn a whole batch into a round trip per push.
      const stale = error instanceof WrongExpectedVersionError ? new Set(error.streamIds) : new Set<string>();
      const rest = batch.filter((p) => !stale.has(p.request.streamId));
      if (rest.length < batch.length) {
        for (const { request, reject } of batch) {
          if (stale.has(request.streamId)) reject(new WrongExpectedVersionError(request.streamId, request.expectedVersion));
        }
        return rest.length > 0 ? this.commit(rest, waiting) : this.commitEach(waiting);
      }
      return this.commitEach([...batch, ...waiting]);
    }
    this.firstStatementTimeoutAt = null;
    batch.forEach((p, i) => p.resolve(stored[i]));
    try {
      this.observe((performance.now() - started) / 1000, batch.length);
    } catch {
      // The batch is committed and answered: a failing observer (a metric) must not turn that into
      // an error or a second append, as it did when it ran inside the append's try.
    }
    return true;
  }

  /** One by one: after an error that names no stream, each append must show whether it was its own. */
  private async commitEach(appends: Pending<T>[]): Promise<boolean> {
    for (const [i, p] of appends.entries()) {
      if (!(await this.commit([p], appends.slice(i + 1)))) return false;
    }
    return true;
  }

  private append(batch: Pending<T>[]): Promise<StoredEvent[][]> {
    return this.store.appendMany(
      batch.map((p) => p.request),
      this.batchWrite(batch.map((p) => p.extra)),
    );
  }
}
