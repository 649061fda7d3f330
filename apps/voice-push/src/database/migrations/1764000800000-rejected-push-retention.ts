import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rejected pushes are deleted once not seen for REJECTED_PUSH_RETENTION (rejected-push.retention.ts).
 * What the deleted rows counted is folded into `rejected_push_expired_counts` in the same statement,
 * so /admin/stats keeps counting every push ever rejected. The index lets the retention find the
 * oldest rows without reading the whole table.
 */
export class RejectedPushRetention1764000800000 implements MigrationInterface {
  name = 'RejectedPushRetention1764000800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX rejected_pushes_by_last_seen ON rejected_pushes (last_seen_at)`);
    await q.query(`
      CREATE TABLE rejected_push_expired_counts (
        kind            text PRIMARY KEY,
        pushes          bigint NOT NULL,
        distinct_bodies bigint NOT NULL,
        replayed        bigint NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE rejected_push_expired_counts`);
    await q.query(`DROP INDEX rejected_pushes_by_last_seen`);
  }
}
