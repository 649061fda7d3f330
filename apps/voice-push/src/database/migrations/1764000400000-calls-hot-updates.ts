import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lets a status push update its `calls` row in place (a HOT update: no new entry in any index).
 *
 * Every push rewrote the row, and `last_push_at` — indexed for the overdue sweep — changed each
 * time, so every update added an entry to all seven indexes of `calls`: about half of the index
 * entries a push wrote. The sweep's partial index is now on `opened_at`, which never changes after
 * the first push (opened_at ≤ last_push_at, so "last push before the cutoff" implies "opened
 * before it"); a status push then changes no indexed column at all. Only pushes that move
 * `status`, `reconciliation_status` or `call_result` (the CDR, mostly) touch the indexes.
 *
 * A HOT update also needs room for the new row version on the same page: a call row is about
 * 2 KB, four to a page, so pages are filled only to 50 % by inserts. Applies to pages written
 * from now on; existing pages keep their layout.
 */
export class CallsHotUpdates1764000400000 implements MigrationInterface {
  name = 'CallsHotUpdates1764000400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX calls_overdue_candidates`);
    await q.query(`CREATE INDEX calls_overdue_candidates ON calls (opened_at) WHERE status = 'OPEN' AND NOT cdr_overdue`);
    await q.query(`ALTER TABLE calls SET (fillfactor = 50)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE calls RESET (fillfactor)`);
    await q.query(`DROP INDEX calls_overdue_candidates`);
    await q.query(
      `CREATE INDEX calls_overdue_candidates ON calls (last_push_at) WHERE status = 'OPEN' AND NOT cdr_overdue`,
    );
  }
}
