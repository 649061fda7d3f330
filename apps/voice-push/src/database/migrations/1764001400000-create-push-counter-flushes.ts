import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The last flush of push counts each running instance added to `push_counters`. A flush whose
 * commit was ambiguous (the connection lost after COMMIT was sent) is sent again with the same
 * number, and this row makes the second one add nothing, where it used to count its delta twice.
 */
export class CreatePushCounterFlushes1764001400000 implements MigrationInterface {
  name = 'CreatePushCounterFlushes1764001400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE push_counter_flushes (
         instance_id uuid PRIMARY KEY,
         seq bigint NOT NULL,
         flushed_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE push_counter_flushes`);
  }
}
