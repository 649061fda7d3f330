import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { evolve, initialState, toCallSessionEvent, type CallSessionState } from '#call-session-domain';
import { callRow, upsertRebuiltCallRows, type CallRow } from '../../call-sessions/projections/calls.projection.js';
import { isStatementTimeout } from '../../database/storage-errors.js';
import { CallSessionWriter } from '../../call-sessions/write/call-session.writer.js';
import { BackgroundJobs, type JobDone, type JobState } from '../background-jobs.js';
import { PostgresJobRecords } from '../postgres-job-records.js';

/** Streams folded per round trip (each one statement to read, one to write). */
const STREAMS_PER_BATCH = 500;
const ORPHANS_PER_BATCH = 5_000;
const PROGRESS_LOG_EVERY_MS = 5_000;
/**
 * Tries of a batch whose write outlasts the pool's statement timeout (STATEMENT_TIMEOUT_MS: a
 * `calls` row locked elsewhere, a stall), a pause apart: a lock held a few seconds delays the
 * rebuild, not fails it. (An operator's pg_cancel_backend of that statement is tried again too: a
 * rebuild is stopped by its DELETE.)
 */
const SLOW_BATCH_TRIES = 3;
const SLOW_BATCH_PAUSE_MS = 1_000;

export interface RebuildJob extends JobState {
  /** streams folded so far (each stream once) */
  streams: number;
  events: number;
  /** rows that differed from the rebuilt row (or were missing) and were written */
  rowsChanged: number;
  /** rows left alone because the live path had already written a newer version */
  rowsNewerLive: number;
  /** `calls` rows with no events behind them, deleted at the end */
  orphansDeleted: number;
}

/**
 * Rebuilds the `calls` read model from the event store, in place, in the background.
 *
 * Why in place (and not a shadow table swapped in): the live path already keeps `calls` in step
 * inside each append's transaction, with a version guard. The rebuild walks the streams (keyset
 * over the events' (stream_id, version) index, STREAMS_PER_BATCH at a time), folds each whole
 * stream with the domain's `evolve`, and upserts the row with `callRow` — the live
 * projection's own function — only where the live row is not newer (`calls.version <= rebuilt`)
 * and differs. So:
 * - ingestion is never blocked: no table lock, no long transaction; each batch is one autocommit
 *   statement holding its rows' locks for milliseconds;
 * - a push committed while the rebuild runs wins (its version is higher), whether it commits
 *   before or after the rebuild reaches its stream; a stream created after the walk passed its
 *   place is projected by its own append. Nothing is lost between a snapshot and a swap, and there
 *   is no catch-up phase or index renaming to get right;
 * - identical rows are not rewritten (no bloat when the model was right), and `rowsChanged` says
 *   how much was repaired. Rows of calls without any event are deleted at the end.
 * A shadow table would be the choice when the row SHAPE changes (a migration does that here).
 * One rebuild at a time, across the instances (a second start is 409).
 */
@Injectable()
export class CallsRebuildService {
  private readonly logger = new Logger('CallsRebuild');
  /** every instance's rebuilds: `found(id)` and `latest()` for the controller and the stats */
  readonly jobs: BackgroundJobs<RebuildJob>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly writer: CallSessionWriter,
  ) {
    this.jobs = new BackgroundJobs('rebuild', this.logger, new PostgresJobRecords(db, 'rebuild'));
  }

  /** Starts a rebuild in the background (409 while one runs); `onDone` gets the finished job. */
  start(onDone?: JobDone<RebuildJob>): Promise<RebuildJob> {
    const progress = { streams: 0, events: 0, rowsChanged: 0, rowsNewerLive: 0, orphansDeleted: 0 };
    return this.jobs.start(progress, (job) => this.run(job), onDone);
  }

  private async run(job: RebuildJob): Promise<void> {
    this.logger.log(`rebuild ${job.id}: rebuilding calls from the event store`);
    let lastLog = Date.now();
    try {
      let after = '';
      for (;;) {
        this.jobs.stopIfStopping();
        const ids: { stream_id: string }[] = await this.db.query(
          `SELECT stream_id FROM events WHERE stream_id > $1 GROUP BY stream_id ORDER BY stream_id LIMIT $2`,
          [after, STREAMS_PER_BATCH],
        );
        if (ids.length === 0) break;
        after = ids.at(-1)!.stream_id;
        await this.rebuildStreams(job, ids.map((r) => r.stream_id));
        if (Date.now() - lastLog >= PROGRESS_LOG_EVERY_MS) {
          lastLog = Date.now();
          this.logger.log(`rebuild ${job.id}: ${job.streams} calls, ${job.events} events, ${job.rowsChanged} rows repaired so far`);
        }
      }
      job.orphansDeleted = await this.deleteOrphans();
      this.logger.log(
        `rebuild ${job.id} done: ${job.streams} calls from ${job.events} events; ${job.rowsChanged} rows repaired, ` +
          `${job.rowsNewerLive} newer live, ${job.orphansDeleted} orphans deleted`,
      );
    } finally {
      // states are folded from events, never from `calls`; forgetting them is for good measure
      this.writer.forgetCachedSessions();
    }
  }

  /**
   * `calls` rows whose call has no events, deleted ORPHANS_PER_BATCH rows of `calls` at a time in
   * call id order: one statement over the whole table would outlast the pool's statement timeout
   * on a table of production size.
   */
  private async deleteOrphans(): Promise<number> {
    let deleted = 0;
    let after = '';
    for (;;) {
      this.jobs.stopIfStopping();
      // (a CTE: TypeORM answers a bare DELETE … RETURNING with [rows, count])
      const [batch] = (await this.db.query(
        `WITH scanned AS (
           SELECT call_id FROM calls WHERE call_id > $1 ORDER BY call_id LIMIT $2),
         deleted AS (
           DELETE FROM calls c USING scanned s
            WHERE c.call_id = s.call_id AND NOT EXISTS (SELECT 1 FROM events e WHERE e.stream_id = c.call_id)
           RETURNING 1)
         SELECT (SELECT max(call_id) FROM scanned) AS last, (SELECT count(*)::int FROM deleted) AS n`,
        [after, ORPHANS_PER_BATCH],
      )) as { last: string | null; n: number }[];
      deleted += batch?.n ?? 0;
      if (!batch?.last) return deleted;
      after = batch.last;
    }
  }

  private async upsert(rows: CallRow[]): Promise<string[]> {
    for (let tried = 1; ; tried++) {
      try {
        return await upsertRebuiltCallRows({ query: (sql, params) => this.db.query(sql, params) }, rows);
      } catch (error) {
        if (!isStatementTimeout(error) || tried >= SLOW_BATCH_TRIES) throw error;
        this.logger.warn(
          `rebuild: writing ${rows.length} calls outlasted the statement timeout (a row locked elsewhere?); ` +
            `trying again in ${SLOW_BATCH_PAUSE_MS} ms (${tried} of ${SLOW_BATCH_TRIES} tries)`,
        );
        this.jobs.stopIfStopping(); // the failed statement wrote nothing: a stop need not wait out the pause
        await new Promise((resolve) => setTimeout(resolve, SLOW_BATCH_PAUSE_MS));
      }
    }
  }

  private async rebuildStreams(job: RebuildJob, streamIds: string[]): Promise<void> {
    const events: { stream_id: string; type: string; data: Record<string, unknown> }[] = await this.db.query(
      `SELECT stream_id, type, data FROM events WHERE stream_id = ANY($1::text[]) ORDER BY stream_id, version`,
      [streamIds],
    );
    const states = new Map<string, CallSessionState>();
    for (const e of events) {
      const state = states.get(e.stream_id) ?? initialState;
      states.set(e.stream_id, evolve(state, toCallSessionEvent(e)));
    }
    const rows = [...states].map(([callId, state]) => callRow(callId, state));
    const written = await this.upsert(rows);
    const newerLive: { n: number }[] = await this.db.query(
      `SELECT count(*)::int AS n FROM calls c
         JOIN unnest($1::text[], $2::int[]) AS r(call_id, version) ON r.call_id = c.call_id
        WHERE c.version > r.version`,
      [[...states.keys()], [...states.values()].map((s) => s.version)],
    );
    job.streams += states.size;
    job.events += events.length;
    job.rowsChanged += written.length;
    job.rowsNewerLive += newerLive[0]?.n ?? 0;
  }
}
