import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The relay's checkpoint also counts the events at or before it (`relayed`), advanced with it in
 * the same statement (call-event-log.ts). The backlog is then the events stored (kept counts)
 * minus those relayed, instead of a count of every event after the checkpoint: with Kafka away
 * (or KAFKA_BROKERS unset) that count grows with every push and would outlast the statement
 * timeout just when an operator reads the relay lag.
 *
 * The count starts from the events at or before each checkpoint, read once here. Appends need not
 * wait: every event appended from now on has a transaction id above any checkpoint's (the relay
 * only passes finished transactions), and the ALTER holds the checkpoints still meanwhile.
 */
export class CountRelayedEvents1764000700000 implements MigrationInterface {
  name = 'CountRelayedEvents1764000700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE relay_checkpoints ADD COLUMN relayed bigint NOT NULL DEFAULT 0`);
    await q.query(`
      UPDATE relay_checkpoints k
         SET relayed = (SELECT count(*) FROM events e WHERE (e.transaction_id, e.position) <= (k.transaction_id, k.position))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE relay_checkpoints DROP COLUMN relayed`);
  }
}
