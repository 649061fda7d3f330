import type { AppendRequest, EventStore, StoredEvent } from '#event-store';
import { WrongExpectedVersionError } from '#event-store';

interface Pending {
  request: AppendRequest;
  resolve: (events: StoredEvent[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: appends that arrive while a commit is in flight wait and then go to Postgres
 * together in one transaction, so a burst of pushes costs one fsync instead of one each.
 * A batch that fails as a whole is retried request by request, so one stream's conflict never
 * fails its neighbours.
 */
export class CommitBatcher {
  private pending: Pending[] = [];
  private inFlight = false;

  constructor(
    private readonly store: EventStore,
    private readonly maxBatch = 256,
  ) {}

  submit(request: AppendRequest): Promise<StoredEvent[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ request, resolve, reject });
      if (!this.inFlight) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.inFlight = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.maxBatch);
        await this.commit(batch);
      }
    } finally {
      this.inFlight = false;
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    if (batch.length === 1) {
      await this.commitOne(batch[0]);
      return;
    }
    try {
      const stored = await this.store.appendMany(batch.map((p) => p.request));
      batch.forEach((p, i) => p.resolve(stored[i]));
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) {
        // The database itself failed: every request of the batch shares the fate.
        for (const p of batch) p.reject(error);
        return;
      }
      for (const p of batch) await this.commitOne(p);
    }
  }

  private async commitOne(p: Pending): Promise<void> {
    try {
      p.resolve(await this.store.append(p.request));
    } catch (error) {
      p.reject(error);
    }
  }
}
