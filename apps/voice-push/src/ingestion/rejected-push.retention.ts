import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { SqlExecutor } from '#event-store';
import { APP_CONFIG } from '../config/app-config.provider.js';
import type { AppConfig } from '../config/app-config.js';
import { PeriodicTask } from '../call-sessions/periodic-task.js';

/** rows deleted per statement: a backlog (the first run after an upgrade) goes in short statements */
export const EXPIRE_PAGE = 1000;

/**
 * Deletes up to `limit` rejected pushes last seen before `now - retentionMs`, oldest first, and
 * folds what they counted into `rejected_push_expired_counts` in the same statement (the stats
 * count every push ever rejected). A sender's retry of a body being deleted waits for the delete
 * and then keeps the body again as a new row: its count is not lost either way.
 */
const EXPIRE = `
  WITH expired AS (
    DELETE FROM rejected_pushes
     WHERE id IN (SELECT id FROM rejected_pushes
                   WHERE last_seen_at < $1::timestamptz
                   ORDER BY last_seen_at LIMIT $2)
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

/** Deletes one page of expired rejected pushes; answers how many. */
export async function expireRejectedPushes(db: SqlExecutor, before: Date, limit = EXPIRE_PAGE): Promise<number> {
  const [row] = await db.query<{ n: number }>(EXPIRE, [before.toISOString(), limit]);
  return row?.n ?? 0;
}

/**
 * Per kind: the pushes rejected (the kept rows' counts and the expired ones'), the distinct bodies
 * among them, how many an operator replayed, and how many of those pushes retention deleted.
 */
export const REJECTED_PUSH_TOTALS_SQL = `
  SELECT kind, sum(pushes)::text AS n, sum(distinct_bodies)::text AS distinct_bodies,
         sum(replayed)::text AS replayed, sum(expired)::text AS expired
    FROM (SELECT kind, sum(count) AS pushes, count(*) AS distinct_bodies, count(replayed_at) AS replayed, 0 AS expired
            FROM rejected_pushes GROUP BY kind
          UNION ALL
          SELECT kind, pushes, distinct_bodies, replayed, pushes FROM rejected_push_expired_counts) t
   GROUP BY kind`;

export interface RejectedPushTotals {
  kind: string;
  n: string;
  distinct_bodies: string;
  replayed: string;
  expired: string;
}

/**
 * Runs the retention every quarter of REJECTED_PUSH_RETENTION, at most every 10 minutes, so a row
 * lives at most a quarter longer than the setting asks. Off (null): nothing runs.
 */
@Injectable()
export class RejectedPushRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RejectedPushRetention');
  private readonly periodic = new PeriodicTask();
  private stopping = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'rejectedPushRetentionMs'>,
  ) {}

  get intervalMs(): number | null {
    const retention = this.config.rejectedPushRetentionMs;
    return retention === null ? null : Math.max(1_000, Math.min(600_000, Math.floor(retention / 4)));
  }

  onApplicationBootstrap(): void {
    const interval = this.intervalMs;
    if (interval !== null) this.periodic.start(interval, () => this.expire());
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.periodic.stop();
  }

  /** Deletes every expired row, a page at a time; answers how many. Logs what it did or why not. */
  async expire(now = Date.now()): Promise<number> {
    const retention = this.config.rejectedPushRetentionMs;
    if (retention === null) return 0;
    const before = new Date(now - retention);
    let total = 0;
    try {
      for (;;) {
        const deleted = await expireRejectedPushes(this.db, before);
        total += deleted;
        // a shutdown waits for the run: it stops between pages, the next start goes on
        if (deleted < EXPIRE_PAGE || this.stopping) break;
      }
    } catch (error) {
      this.logger.error(`rejected-push retention failed after deleting ${total}, will try again: ${(error as Error).message}`);
      return total;
    }
    if (total > 0) {
      this.logger.log(`deleted ${total} rejected pushes last seen before ${before.toISOString()} (REJECTED_PUSH_RETENTION); their counts stay in /admin/stats`);
    }
    return total;
  }
}
