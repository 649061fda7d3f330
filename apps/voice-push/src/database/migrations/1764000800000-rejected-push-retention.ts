import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rejected pushes are deleted once not seen for REJECTED_PUSH_RETENTION (rejected-push.retention.ts).
 * What the deleted rows counted is folded into `rejected_push_expired_counts` in the same statement,
 * so /admin/stats keeps counting every push ever rejected. No index on `last_seen_at`: every retry
 * of a refused body moves it, and an index on it would turn those HOT updates into a write to
 * every index of the table; the retention reads the (bounded) table once per run instead.
 */
export class RejectedPushRetention1764000800000 implements MigrationInterface {
  name = 'RejectedPushRetention1764000800000';

  async up(q: QueryRunner): Promise<void> {
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
  }
}
