import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Call-event rows in the outbox: those an operator's republish enqueued, and those the version
 * before the log relay wrote (during the upgrade to it). While one waits, the relay sends the
 * outbox before the log, so that a call's earlier events reach its key before its later ones; once
 * none does, it shares each batch between the outbox (a backlog of finalised views, after a Kafka
 * outage) and the log's live events (outbox-relay.ts). This partial index answers "does one wait?"
 * at once: it holds only those rows, and costs the live path nothing (its outbox rows are views).
 */
export class IndexOutboxCallEventRows1764001100000 implements MigrationInterface {
  name = 'IndexOutboxCallEventRows1764001100000';

  async up(q: QueryRunner): Promise<void> {
    // Every append writes to the outbox, and waits behind this build while it waits for its lock
    // (an old instance's relay may hold the table through a slow publish): give up soon, and the
    // start fails and is tried again, rather than hold every push past the pool's 1.5 s. The
    // outbox is small in normal running, so the build itself is short.
    await q.query(`SET LOCAL lock_timeout = '1s'`);
    await q.query(`CREATE INDEX outbox_call_event_rows ON outbox (id) WHERE topic = 'voice.call-events.v1'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX outbox_call_event_rows`);
  }
}
