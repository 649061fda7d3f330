import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Messages for the Kafka relay, written in the same transaction as the events they carry.
 * The relay takes rows `ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED` and DELETEs them after the
 * broker's ack, so there is no "sent" flag; `position` (nullable) names the event a row carries.
 */
export class CreateOutbox1764000000001 implements MigrationInterface {
  readonly name = 'CreateOutbox1764000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE outbox (
        id         bigserial   PRIMARY KEY,
        position   bigint      NULL,
        topic      text        NOT NULL,
        key        text        NOT NULL,
        value      jsonb       NOT NULL,
        headers    jsonb       NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE outbox`);
  }
}
