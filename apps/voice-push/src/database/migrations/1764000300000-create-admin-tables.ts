import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Admin: the audit trail of operator actions, and push counters that outlive a restart.
 *
 * `push_counters` holds the outcomes that leave no other trace in the database (a duplicate stores
 * nothing; an unavailable answer stores nothing). The ingestion path is not touched: the admin
 * module adds the in-process PushMetrics deltas to it every few seconds (one row per outcome,
 * added to by every instance), so a restart loses at most the last few seconds of counts.
 */
export class CreateAdminTables1764000300000 implements MigrationInterface {
  name = 'CreateAdminTables1764000300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE admin_audit (
        id          bigserial PRIMARY KEY,
        action      text NOT NULL,
        arguments   jsonb NOT NULL DEFAULT '{}',
        result      jsonb,
        status_code integer NOT NULL,
        at          timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX admin_audit_by_action ON admin_audit (action, id DESC)`);
    await q.query(`
      CREATE TABLE push_counters (
        outcome    text PRIMARY KEY,
        count      bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE push_counters`);
    await q.query(`DROP TABLE admin_audit`);
  }
}
