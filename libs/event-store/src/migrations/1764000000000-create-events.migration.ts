import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event store: one row per event, gapless `version` per stream, global `position`.
 *
 * `transaction_id` (the writer's top-level xid) lets a reader of the whole log skip nothing:
 * it takes only rows whose transaction is finished (`transaction_id <
 * pg_snapshot_xmin(pg_current_snapshot())`) in `(transaction_id, position)` order — see
 * PostgresEventStore.readAll. The index on that pair serves exactly that read.
 */
export class CreateEvents1764000000000 implements MigrationInterface {
  readonly name = 'CreateEvents1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE events (
        position       bigserial   PRIMARY KEY,
        event_id       uuid        NOT NULL DEFAULT gen_random_uuid(),
        stream_id      text        NOT NULL,
        version        integer     NOT NULL,
        type           text        NOT NULL,
        data           jsonb       NOT NULL,
        metadata       jsonb       NOT NULL,
        occurred_at    timestamptz NOT NULL,
        recorded_at    timestamptz NOT NULL DEFAULT now(),
        transaction_id xid8        NOT NULL DEFAULT pg_current_xact_id(),
        CONSTRAINT events_event_id_key UNIQUE (event_id),
        CONSTRAINT events_stream_id_version_key UNIQUE (stream_id, version),
        CONSTRAINT events_version_positive CHECK (version > 0)
      )
    `);
    await queryRunner.query(
      `CREATE INDEX events_transaction_id_position_idx ON events (transaction_id, position)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE events`);
  }
}
