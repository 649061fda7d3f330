import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where the relay stands in the event log: the call events go to Kafka from the `events` table
 * itself (outbox-relay/call-event-log.ts), no longer from an outbox row written per event.
 *
 * The checkpoint starts after the newest event already stored: the events before it have their
 * outbox rows (written by the version that stored them) and go out from there.
 */
export class CreateRelayCheckpoints1764000500000 implements MigrationInterface {
  name = 'CreateRelayCheckpoints1764000500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE relay_checkpoints (
        name           text PRIMARY KEY,
        transaction_id xid8        NOT NULL,
        position       bigint      NOT NULL,
        updated_at     timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      INSERT INTO relay_checkpoints (name, transaction_id, position)
      SELECT 'call-events', coalesce(max(transaction_id), '0'::xid8),
             coalesce((SELECT max(position) FROM events
                        WHERE transaction_id = (SELECT max(transaction_id) FROM events)), 0)
        FROM events`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE relay_checkpoints`);
  }
}
