import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { queryWithClientTimeout } from '#event-store';
import { APP_CONFIG } from '../config/app-config.provider.js';
import type { AppConfig } from '../config/app-config.js';
import { PeriodicTask } from '../call-sessions/periodic-task.js';

/** rows deleted per statement: a backlog (the first run after an upgrade) goes in short statements */
const EXPIRE_PAGE = 1000;

/**
 * Deletes up to `limit` rejected pushes not seen for `retentionMs` (by the database's clock, the one
 * that wrote `last_seen_at`), oldest first, and folds what they counted into
 * `rejected_push_expired_counts` in the same statement (the stats count every push ever rejected).
 * A sender's retry and the retention can meet on one row either way round:
 * - the retry's upsert commits first: the DELETE, which waited for it, checks the new row version
 *   against its own WHERE again (not the subquery's, which it does not rerun: hence the age twice)
 *   and leaves it;
 * - the DELETE commits first: the retry, which waited for it, finds no row and keeps the body
 *   again as a new one. Its count is not lost either way.
 */
const EXPIRE = `
  WITH expired AS (
    DELETE FROM rejected_pushes
     WHERE id IN (SELECT id FROM rejected_pushes
                   WHERE last_seen_at < now() - $1::float8 * interval '1 millisecond'
                   ORDER BY last_seen_at LIMIT $2)
       AND last_seen_at < now() - $1::float8 * interval '1 millisecond'
    RETURNING kind, count, replayed_at
  ),
  folded AS (
    INSERT INTO rejected_push_expired_counts AS c (kind, pushes, distinct_bodies, replayed)
    SELECT kind, sum(count), count(*), count(replayed_at) FROM expired GROUP BY kind
    ON CONFLICT (kind) DO UPDATE
      SET pushes = c.pushes + excluded.pushes,
          distinct_bodies = c.distinct_bodies + excluded.distinct_bodies,
          replayed = c.replayed + excluded.replayed
  )
  SELECT count(*)::int AS n FROM expired`;

/**
 * How long one page may take. The pool gives any statement up after 1.5 s on the server and 2 s in
 * the client (a push must not wait behind one), but a page reads the whole table (no index on
 * `last_seen_at`, see the migration), and a sender refusing millions of distinct bodies makes that
 * longer: under the pool's limits every run was cancelled at its first page, nothing was ever
 * deleted, and the table grew on. Nothing waits for this background delete but a retry of a row it
 * is deleting.
 */
export const EXPIRE_PAGE_TIMEOUT_MS = 300_000;

/**
 * Deletes one page of expired rejected pushes, in a transaction of its own; answers how many.
 * `running` learns the page's backend while its delete runs (null once it has returned), for a
 * shutdown to cancel it; `stopped` is asked just before the delete starts (a shutdown that came
 * before it had a backend to cancel).
 */
export async function expireRejectedPushes(
  db: DataSource,
  retentionMs: number,
  limit = EXPIRE_PAGE,
  running: (backendPid: number | null) => void = () => undefined,
  stopped: () => boolean = () => false,
): Promise<number> {
  return db.transaction(async (tx) => {
    // both limits lifted for this statement alone: the server's for the transaction, the client's for the query
    const [{ pid }] = (await tx.query(`SELECT set_config('statement_timeout', $1, true), pg_backend_pid() AS pid`, [
      String(EXPIRE_PAGE_TIMEOUT_MS),
    ])) as [{ pid: number }];
    running(pid);
    try {
      if (stopped()) return 0;
      const [row] = await queryWithClientTimeout<{ n: number }>(tx.queryRunner!, EXPIRE, [retentionMs, limit], EXPIRE_PAGE_TIMEOUT_MS + 5_000);
      return row?.n ?? 0;
    } finally {
      running(null); // before the connection goes back to the pool: its pid is then another's
    }
  });
}

/**
 * Runs the retention every quarter of REJECTED_PUSH_RETENTION, and at least every 10 minutes, so
 * a row lives at most a quarter (or 10 minutes) longer than the setting asks. Off (null): nothing runs.
 */
@Injectable()
export class RejectedPushRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RejectedPushRetention');
  private readonly periodic = new PeriodicTask();
  private stopping = false;
  /** the backend of the page's delete while it runs */
  private pagePid: number | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'rejectedPushRetentionMs'>,
  ) {}

  get intervalMs(): number | null {
    const retention = this.config.rejectedPushRetentionMs;
    return retention === null ? null : Math.min(600_000, Math.floor(retention / 4));
  }

  onApplicationBootstrap(): void {
    const interval = this.intervalMs;
    if (interval !== null) this.periodic.start(interval, () => this.expire());
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    const stopped = this.periodic.stop();
    // A page may run for minutes on a large table (EXPIRE_PAGE_TIMEOUT_MS), past SHUTDOWN_TIMEOUT:
    // nothing waits for it, so it is cancelled (rolled back whole; the next start deletes it
    // again). Only while its backend runs the page's delete: the pid is another's once the page
    // has given its connection back, and a cancel that comes before the delete starts is lost.
    for (let pid = this.pagePid; pid !== null; pid = this.pagePid) {
      await this.db
        .query(
          `SELECT pg_cancel_backend(pid) FROM pg_stat_activity
            WHERE pid = $1 AND state = 'active' AND query LIKE '%DELETE FROM rejected_pushes%'`,
          [pid],
        )
        .catch((error: unknown) => this.logger.warn(`the rejected-push retention's page could not be cancelled: ${(error as Error).message}`));
      await new Promise((done) => setTimeout(done, 50));
    }
    await stopped;
  }

  /** Deletes every expired row, a page at a time; answers how many. Logs what it did or why not. */
  async expire(): Promise<number> {
    const retention = this.config.rejectedPushRetentionMs;
    if (retention === null) return 0;
    let total = 0;
    try {
      for (;;) {
        const deleted = await expireRejectedPushes(
          this.db,
          retention,
          EXPIRE_PAGE,
          (pid) => (this.pagePid = pid),
          () => this.stopping,
        );
        total += deleted;
        // a shutdown waits for the run: it stops between pages, the next start goes on
        if (deleted < EXPIRE_PAGE || this.stopping) break;
      }
    } catch (error) {
      if (this.stopping) this.logger.log(`rejected-push retention stopped by the shutdown after deleting ${total}; the next start goes on`);
      else this.logger.error(`rejected-push retention failed after deleting ${total}, will try again: ${(error as Error).message}`);
      return total;
    }
    if (total > 0) {
      this.logger.log(`deleted ${total} rejected pushes not seen for ${retention / 3_600_000} h (REJECTED_PUSH_RETENTION); their counts stay in /admin/stats`);
    }
    return total;
  }
}
