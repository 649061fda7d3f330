import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CallSessionWriter } from '../../call-sessions/write/call-session.writer.js';
import { PushMetrics } from '../../ingestion/push.metrics.js';

const FLUSH_EVERY_MS = 5_000;

/**
 * Persists the push outcomes PushMetrics counts in process (duplicate, unavailable, …) into
 * `push_counters`, so they survive a restart: every FLUSH_EVERY_MS, before each stats read and at
 * shutdown, the delta since the last flush is added to the table (several instances add up).
 * The ingestion path is untouched (no extra write per push); a crash loses at most the last
 * few seconds of counts. Flushes are serialised, so a delta is never added twice.
 */
@Injectable()
export class PushCounters implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('PushCounters');
  private readonly flushed = new Map<string, number>();
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly metrics: PushMetrics,
    private readonly writer: CallSessionWriter,
  ) {}

  onApplicationBootstrap(): void {
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
    const outcomes: string[] = [];
    const deltas: number[] = [];
    for (const [outcome, total] of this.metrics.counts) {
      const delta = total - (this.flushed.get(outcome) ?? 0);
      if (delta > 0) {
        outcomes.push(outcome);
        deltas.push(delta);
      }
    }
    if (outcomes.length === 0) return;
    await this.db.query(
      `INSERT INTO push_counters (outcome, count)
       SELECT * FROM unnest($1::text[], $2::bigint[])
       ON CONFLICT (outcome) DO UPDATE SET count = push_counters.count + EXCLUDED.count, updated_at = now()`,
      [outcomes, deltas],
    );
    outcomes.forEach((outcome, i) => this.flushed.set(outcome, (this.flushed.get(outcome) ?? 0) + deltas[i]!));
  }
}
