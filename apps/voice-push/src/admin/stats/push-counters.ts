import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { CallSessionWriter } from '../../call-sessions/write/call-session.writer.js';
import { PushMetrics } from '../../ingestion/push.metrics.js';

const FLUSH_EVERY_MS = 5_000;

/** One flush: this instance's number for it, and the count added per outcome. */
interface Flush {
  seq: number;
  outcomes: string[];
  deltas: number[];
}

/**
 * Persists the push outcomes PushMetrics counts in process (duplicate, unavailable, …) into
 * `push_counters`, so they survive a restart: every FLUSH_EVERY_MS, before each stats read and at
 * shutdown, the delta since the last flush is added to the table (several instances add up).
 * The ingestion path is untouched (no extra write per push); a crash loses at most the last
 * few seconds of counts. Flushes are serialised, and each is numbered: one that failed is sent
 * again as it was, before any newer count, and `push_counter_flushes` (this instance's last number)
 * lets a flush count only once — a failure may come after its commit (the connection lost once
 * COMMIT was sent), and sent again it used to add its delta twice.
 */
@Injectable()
export class PushCounters implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('PushCounters');
  private readonly flushed = new Map<string, number>();
  private readonly instanceId = randomUUID();
  private seq = 0;
  /** the flush sent and not known to be committed: sent again, as it is, before any other */
  private pending: Flush | null = null;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly metrics: PushMetrics,
    private readonly writer: CallSessionWriter,
  ) {}

  onApplicationBootstrap(): void {
    // the rows of instances long gone: a flush is sent again within seconds, never days, after it failed
    this.db
      .query(`DELETE FROM push_counter_flushes WHERE flushed_at < now() - interval '7 days'`)
      .catch((error: unknown) => this.logger.warn(`old push counter flushes not cleared: ${(error as Error).message}`));
    this.timer = setInterval(() => {
      this.flush().catch((error: unknown) => this.logger.warn(`push counters not flushed, will retry: ${(error as Error).message}`));
    }, FLUSH_EVERY_MS);
    this.timer.unref();
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /**
   * The last flush comes after the HTTP server closed and the writes of pushes still in flight
   * finished, so the outcomes of the pushes answered during the drain are kept too (this module's
   * hook runs before the global TypeORM module closes the database).
   */
  async onApplicationShutdown(): Promise<void> {
    await this.writer.drain();
    await this.flush().catch((error: unknown) => this.logger.warn(`push counters not flushed at shutdown: ${(error as Error).message}`));
  }

  /** Adds the counts not yet persisted to `push_counters`. */
  flush(): Promise<void> {
    const next = this.chain.then(() => this.flushOnce());
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Persisted counts by outcome, after a flush. */
  async read(): Promise<Record<string, number>> {
    await this.flush();
    const rows: { outcome: string; count: string }[] = await this.db.query(`SELECT outcome, count::text AS count FROM push_counters`);
    return Object.fromEntries(rows.map((r) => [r.outcome, Number(r.count)]));
  }

  private async flushOnce(): Promise<void> {
    for (;;) {
      // after a failed flush is sent again, the counts that came since go too
      const again = this.pending !== null;
      this.pending ??= this.nextFlush();
      if (this.pending === null) return;
      await this.send(this.pending);
      this.pending = null;
      if (!again) return;
    }
  }

  private async send({ seq, outcomes, deltas }: Flush): Promise<void> {
    // the counts are added only when this instance's flush number moves on: a flush sent again
    // after a commit whose answer was lost adds nothing
    await this.db.query(
      `WITH claimed AS (
         INSERT INTO push_counter_flushes AS f (instance_id, seq) VALUES ($3, $4)
         ON CONFLICT (instance_id) DO UPDATE SET seq = EXCLUDED.seq, flushed_at = now() WHERE f.seq < EXCLUDED.seq
         RETURNING 1)
       INSERT INTO push_counters (outcome, count)
       SELECT * FROM unnest($1::text[], $2::bigint[]) WHERE EXISTS (SELECT 1 FROM claimed)
       ON CONFLICT (outcome) DO UPDATE SET count = push_counters.count + EXCLUDED.count, updated_at = now()`,
      [outcomes, deltas, this.instanceId, seq],
    );
    outcomes.forEach((outcome, i) => this.flushed.set(outcome, (this.flushed.get(outcome) ?? 0) + deltas[i]!));
  }

  /** The counts since the last flush, numbered; null when there are none. */
  private nextFlush(): Flush | null {
    const outcomes: string[] = [];
    const deltas: number[] = [];
    // in one order on every instance: two flushing at once then cannot deadlock on the rows
    for (const [outcome, total] of [...this.metrics.counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const delta = total - (this.flushed.get(outcome) ?? 0);
      if (delta > 0) {
        outcomes.push(outcome);
        deltas.push(delta);
      }
    }
    return outcomes.length === 0 ? null : { seq: ++this.seq, outcomes, deltas };
  }
}
