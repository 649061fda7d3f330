import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The admin's background jobs (rebuild, republish), shared by every instance: behind a load
 * balancer the `GET …/{jobId}` that follows a `POST` lands on any instance, and the one-at-a-time
 * rule must hold across them (the partial unique index). `job` is the job as the API answers it;
 * the running instance writes it, with `heartbeat_at`, every few seconds, and reads
 * `cancel_requested` (a `DELETE …/{jobId}` on another instance) back. A running row whose
 * heartbeat has stopped is taken as abandoned (its instance died) — see PostgresJobRecords.
 */
export class CreateAdminJobs1764001500000 implements MigrationInterface {
  name = 'CreateAdminJobs1764001500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE admin_jobs (
        id               text        PRIMARY KEY,
        kind             text        NOT NULL,
        status           text        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
        job              jsonb       NOT NULL,
        instance         text        NOT NULL,
        started_at       timestamptz NOT NULL DEFAULT now(),
        heartbeat_at     timestamptz NOT NULL DEFAULT now(),
        cancel_requested boolean     NOT NULL DEFAULT false
      )`);
    await q.query(`CREATE UNIQUE INDEX admin_jobs_one_running ON admin_jobs (kind) WHERE status = 'running'`);
    await q.query(`CREATE INDEX admin_jobs_by_kind ON admin_jobs (kind, started_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE admin_jobs`);
  }
}
