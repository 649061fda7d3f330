import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Holds on the relay's reading of the event log (outbox-relay/call-event-log.ts): while one is
 * unexpired, the call events wait in the log. An operator's republish takes one for its whole run,
 * renewed as it goes, so that a live event of a call never reaches Kafka before that call's
 * republished history. A lease, not a flag: a job whose instance died stops holding within it.
 */
export class CreateRelayHolds1764001200000 implements MigrationInterface {
  name = 'CreateRelayHolds1764001200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE relay_holds (
        name       text PRIMARY KEY,
        held_until timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE relay_holds`);
  }
}
