import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `event_store_conflict(stream_id, version)` raises SQLSTATE ES409 naming the stream. The append
 * is one statement (events, outbox and read-model rows together, see PostgresEventStore); calling
 * this from it when a stream's guard failed aborts the whole statement, so a batch is still all
 * or nothing without a transaction block around it.
 */
export class CreateAppendConflict1764100000000 implements MigrationInterface {
  readonly name = 'CreateAppendConflict1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION event_store_conflict(stream_id text, version integer) RETURNS integer
      LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'stream %: version % is taken or out of order', stream_id, version
          USING ERRCODE = 'ES409', DETAIL = stream_id;
      END
      $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION event_store_conflict(text, integer)`);
  }
}
