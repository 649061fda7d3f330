import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Call-event rows in the outbox written before the relay read the event log (by the version before
 * CreateRelayCheckpoints, during the upgrade, or by its republish): they carry no `position`. While
 * one waits, the relay must send the outbox before the log (a key's earlier events first); once
 * none does, it can share each batch between a backlog in the outbox (an operator's republish) and
 * the log's live events (outbox-relay.ts). This partial index answers "does one wait?" at once: it
 * holds only those rows, none after the upgrade, and costs the live path nothing (its outbox rows
 * are finalised views).
 */
export class IndexCallEventsBeforeCheckpoint1764001100000 implements MigrationInterface {
  name = 'IndexCallEventsBeforeCheckpoint1764001100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX outbox_call_events_before_checkpoint ON outbox (id) WHERE topic = 'voice.call-events.v1' AND position IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX outbox_call_events_before_checkpoint`);
  }
}
