import { isStorableText, storableJson } from '../database/storable-text.js';
import type { JobState } from './background-jobs.js';

/** How often the running instance writes its job (progress, heartbeat) and reads a cancel back. */
export const JOB_HEARTBEAT_MS = 2_000;
/**
 * A running job unwritten this long is abandoned: its instance died (a crash, a kill -9, a lost
 * host). Far above the heartbeat, so a slow database or a long GC pause does not end a live job.
 */
export const JOB_ABANDONED_AFTER_MS = 30_000;

/** The part of a DataSource the records need (its `query` answers rows for SELECT and INSERT). */
export interface JobSql {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/** What the running instance learns when it writes its job. */
export type JobSaved = 'saved' | 'cancel-requested' | 'taken-as-abandoned';

const ISO = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The admin jobs of every instance, in `admin_jobs` (migration CreateAdminJobs): each job as the
 * API answers it, whichever instance runs it, and at most one running job of a kind at a time.
 */
export class PostgresJobRecords<J extends JobState> {
  constructor(
    private readonly db: JobSql,
    /** the job's kind ("rebuild", "republish") */
    private readonly kind: string,
    private readonly abandonedAfterMs = JOB_ABANDONED_AFTER_MS,
  ) {}

  /**
   * Records `job` as this kind's running job: null when it is, or the id of the job of this kind
   * that is running (on any instance) and holds the place.
   */
  async claim(job: J, instance: string): Promise<string | null> {
    await this.endAbandoned();
    // a running job that ends between the insert and the look is gone when looked for: try again
    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted = (await this.db.query(
        `INSERT INTO admin_jobs (id, kind, status, job, instance) VALUES ($1, $2, 'running', $3, $4)
         ON CONFLICT (kind) WHERE status = 'running' DO NOTHING RETURNING id`,
        [job.id, this.kind, JSON.stringify(storableJson(job)), instance],
      )) as unknown[];
      if (inserted.length > 0) return null;
      const running = (await this.db.query(`SELECT id FROM admin_jobs WHERE kind = $1 AND status = 'running'`, [this.kind])) as { id: string }[];
      if (running[0]) return running[0].id;
    }
    throw new Error(`could not record the ${this.kind} job: the running one kept changing`);
  }

  /**
   * Writes the running job as it is now (its final state too) and its heartbeat; answers whether
   * an operator asked, anywhere, to cancel it, or whether it was already taken as abandoned (its
   * row ended by another instance: this one lost the database for longer than the limit).
   */
  async save(job: J): Promise<JobSaved> {
    // UPDATE … RETURNING goes through a CTE: TypeORM answers a bare one with [rows, count]
    const rows = (await this.db.query(
      `WITH saved AS (
         UPDATE admin_jobs SET job = $2, status = $3, heartbeat_at = now()
          WHERE id = $1 AND status = 'running'
         RETURNING cancel_requested)
       SELECT cancel_requested FROM saved`,
      [job.id, JSON.stringify(storableJson(job)), job.status],
    )) as { cancel_requested: boolean }[];
    if (!rows[0]) return 'taken-as-abandoned';
    return rows[0].cancel_requested ? 'cancel-requested' : 'saved';
  }

  async get(id: string): Promise<J | null> {
    // text Postgres cannot compare (a NUL: `%00` in a URL) names no job, and is no error
    if (!isStorableText(id)) return null;
    await this.endAbandoned();
    return this.read(id);
  }

  async latest(): Promise<J | null> {
    await this.endAbandoned();
    const rows = (await this.db.query(`SELECT job FROM admin_jobs WHERE kind = $1 ORDER BY started_at DESC, id DESC LIMIT 1`, [this.kind])) as { job: J }[];
    return rows[0]?.job ?? null;
  }

  /** Marks the running job for its instance to cancel: the job (its status tells an ended one), or null when unknown. */
  async requestCancel(id: string): Promise<J | null> {
    if (!isStorableText(id)) return null;
    await this.endAbandoned();
    const rows = (await this.db.query(
      `WITH asked AS (
         UPDATE admin_jobs SET cancel_requested = true WHERE id = $1 AND kind = $2 AND status = 'running' RETURNING job)
       SELECT job FROM asked`,
      [id, this.kind],
    )) as { job: J }[];
    return rows[0]?.job ?? (await this.read(id));
  }

  private async read(id: string): Promise<J | null> {
    const rows = (await this.db.query(`SELECT job FROM admin_jobs WHERE id = $1 AND kind = $2`, [id, this.kind])) as { job: J }[];
    return rows[0]?.job ?? null;
  }

  /** Ends, as failed, every running job of this kind whose instance stopped writing it. */
  private async endAbandoned(): Promise<void> {
    await this.db.query(
      `UPDATE admin_jobs
            SET status = 'failed',
                job = job || jsonb_build_object(
                  'status', 'failed',
                  'finishedAt', ${ISO('now()')},
                  'error', format('abandoned: its instance (%s) stopped writing it at %s, and it is taken as ended: what it did stands', instance, ${ISO('heartbeat_at')}))
        WHERE kind = $1 AND status = 'running' AND heartbeat_at < now() - make_interval(secs => $2)`,
      [this.kind, this.abandonedAfterMs / 1000],
    );
  }
}
