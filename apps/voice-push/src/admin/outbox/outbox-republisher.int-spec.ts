import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { DataSource, EntityManager } from 'typeorm';
import { evolveAll, initialState, toCallSessionEvent, toCallView, type CallSessionEvent } from '#call-session-domain';
import { CALL_EVENTS_TOPIC, CALLS_FINALIZED_TOPIC } from '#contracts';
import { anAnsweredCall, callFinalised, flowEvents } from '#testing';
import { PostgresEventStore, type NewEvent, type StoredEvent } from '#event-store';
import { appMigrations } from '../../database/database.module.js';
import { callRow, callRowsWithAppend } from '../../call-sessions/projections/calls.projection.js';
import { finalizedViewMessages } from '../../call-sessions/projections/call-events.outbox.js';
import { createTempDatabase, type TempDatabase } from '../../../../../libs/event-store/src/testing/temp-database.js';
import type { OutboxRelayService } from '../../outbox-relay/outbox-relay.service.js';
import { OutboxRepublisher, type RepublishJob } from './outbox-republisher.service.js';
import { eventually } from '../../../../../test/support/fault-checks.js';

function flagged(callId: string): NewEvent {
  const at = Date.parse('2025-03-01T10:00:00Z');
  return {
    type: 'CdrOverdueFlagged',
    data: { callId, flaggedAt: at, lastPushAt: at - 60_000, overdueAfterMs: 60_000 },
    metadata: {},
    occurredAt: new Date(at),
  };
}

/** A call finalised by its CDR, as the events the writer appends. */
function finalisedCallEvents(callId: string): NewEvent[] {
  const flow = anAnsweredCall({ callId });
  const events: CallSessionEvent[] = [...flowEvents(flow), callFinalised(flow.cdrs[0]!, { status: 'MATCHED', findings: [] })];
  return events.map((e) => ({ type: e.type, data: e.data as unknown as Record<string, unknown>, metadata: {}, occurredAt: new Date() }));
}

/** Runs a republish job to its end. */
function republish(republisher: OutboxRepublisher, fromPosition: string): Promise<RepublishJob> {
  return new Promise((done) => void republisher.start(fromPosition, done));
}

/** As the relay leaves it once it has sent every event stored: its checkpoint at the log's end. */
async function relayedAll(ds: DataSource): Promise<void> {
  await ds.query(
    `UPDATE relay_checkpoints k SET transaction_id = e.transaction_id, position = e.position
       FROM (SELECT transaction_id, position FROM events ORDER BY transaction_id DESC, position DESC LIMIT 1) e
      WHERE k.name = 'call-events'`,
  );
}

/**
 * A relay that sends what waits in the outbox each time it is poked; `sent` has what it sent, by
 * outbox id, once `settled`.
 */
function sendingRelay(ds: DataSource): { relay: OutboxRelayService; settled: () => Promise<Array<{ id: string; topic: string; key: string; value: { eventId: string } }>> } {
  const sending: Array<Promise<Array<{ id: string; topic: string; key: string; value: { eventId: string } }>>> = [];
  const relay = {
    poke: () => void sending.push(ds.query(`DELETE FROM outbox RETURNING id::text AS id, topic, key, value`).then(([rows]: [never[]]) => rows)),
  } as unknown as OutboxRelayService;
  return { relay, settled: async () => (await Promise.all(sending)).flat().sort((a, b) => Number(BigInt(a.id) - BigInt(b.id))) };
}

/** How many sessions of the test database wait for a lock. */
async function lockWaiters(ds: DataSource): Promise<number> {
  const [{ n }] = (await ds.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
  )) as [{ n: number }];
  return n;
}

/**
 * Appends `events` to a call whose stored events are `history`, as the live writer does: the
 * call's `calls` row in the same statement, and its view on the finalised topic when finalised.
 */
async function appendLive(store: PostgresEventStore, callId: string, history: NewEvent[], events: NewEvent[]): Promise<StoredEvent[]> {
  const state = evolveAll(initialState, [...history, ...events].map(toCallSessionEvent));
  const view = toCallView(state);
  const [stored] = await store.appendMany(
    [{ streamId: callId, expectedVersion: history.length, events, outbox: (appended) => finalizedViewMessages(callId, appended, view) }],
    callRowsWithAppend([callRow(callId, state, view)]),
  );
  return stored!;
}

// Real Postgres; the relay is a stand-in that empties the outbox when poked. The republish against a
// real relay and broker is in outbox-relay.kafka.int-spec.ts and test/e2e/kafka-relay.kafka.e2e-spec.ts.
describe('OutboxRepublisher (real Postgres, a stand-in relay)', () => {
  let db: TempDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTempDatabase();
    ds = await db.dataSource(appMigrations, { poolSize: 4 }); // the app's schema: the envelope reads `calls`
  });

  afterAll(async () => {
    await db?.drop();
  });

  /**
   * Two finalised calls, already relayed; `busy` is the one a test locks. `from`: the position to
   * republish from, so that both calls are walked.
   */
  async function twoFinalisedCalls(): Promise<{ store: PostgresEventStore; busy: string; idle: string; history: NewEvent[]; from: string }> {
    await ds.query(`DELETE FROM outbox`);
    const store = new PostgresEventStore(ds);
    const busy = `call-${randomUUID()}`;
    const idle = `call-${randomUUID()}`;
    const history = finalisedCallEvents(busy);
    const [first] = await appendLive(store, busy, [], history);
    await appendLive(store, idle, [], finalisedCallEvents(idle));
    await ds.query(`DELETE FROM outbox`);
    await relayedAll(ds);
    return { store, busy, idle, history, from: String(BigInt(first!.position) - 1n) };
  }

  test('two instances whose position blocks invert a call: the republish keeps the call in version order', async () => {
    // Two processes draw position blocks: `first` draws the lower block, `second` the next one.
    const first = new PostgresEventStore(ds);
    const second = new PostgresEventStore(ds);
    await first.append({ streamId: `other-${randomUUID()}`, expectedVersion: 0, events: [flagged('other')] });
    const call = `call-${randomUUID()}`;
    const [v1] = await second.append({ streamId: call, expectedVersion: 0, events: [flagged(call)] });
    const [v2] = await first.append({ streamId: call, expectedVersion: 1, events: [flagged(call)] });
    expect(BigInt(v2!.position)).toBeLessThan(BigInt(v1!.position)); // the inversion this test is about
    await ds.query(`DELETE FROM outbox`);

    const republisher = new OutboxRepublisher(ds);
    republisher.batchSize = 1; // one event per batch: a position walk would enqueue v2 before v1
    const result = await republish(republisher, '0');

    expect(result).toMatchObject({ status: 'succeeded', events: 3, callEvents: 3 });
    const rows = (await ds.query(`SELECT value FROM outbox WHERE key = $1 AND topic = $2 ORDER BY id`, [call, CALL_EVENTS_TOPIC])) as Array<{
      value: { version: number; eventId: string };
    }>;
    expect(rows.map((r) => r.value.version)).toEqual([1, 2]);
    expect(rows.map((r) => r.value.eventId)).toEqual([v1!.eventId, v2!.eventId]);
  });

  test('a shutdown stops a republish between two batches: what it enqueued stands, and the job says it was stopped', async () => {
    await ds.query(`DELETE FROM outbox`);
    const store = new PostgresEventStore(ds);
    const call = `call-${randomUUID()}`;
    for (let v = 0; v < 5; v++) await store.append({ streamId: call, expectedVersion: v, events: [flagged(call)] });
    // the relay is poked after each batch's transaction: the shutdown comes after the second
    let batches = 0;
    let shutdown: Promise<void> | undefined;
    const relay = { poke: () => ++batches === 2 && (shutdown = republisher.jobs.stop()) } as unknown as OutboxRelayService;
    const republisher = new OutboxRepublisher(ds, relay);
    republisher.batchSize = 1;

    const result = await republish(republisher, '0');
    await shutdown;

    expect(result).toMatchObject({ status: 'failed', error: expect.stringMatching(/shutting down/), callEvents: 2, events: 2 });
    // two batches of one event enqueued (the store holds more: the other tests' events and these five)
    expect(await ds.query(`SELECT count(*)::int AS n FROM outbox`)).toEqual([{ n: 2 }]);
  });

  test('with a relay, it enqueues no faster than the relay sends: it waits while the outbox is full, and goes on when it has room', async () => {
    await ds.query(`DELETE FROM outbox`);
    const store = new PostgresEventStore(ds);
    const call = `call-${randomUUID()}`;
    for (let v = 0; v < 3; v++) await store.append({ streamId: call, expectedVersion: v, events: [flagged(call)] });
    await ds.query(`DELETE FROM outbox`);
    // what the relay has not sent yet: live rows (Kafka slow), as many as the room the job leaves
    await ds.query(`INSERT INTO outbox (topic, key, value) SELECT 't', 'k' || g, '{}' FROM generate_series(1, 2) g`);
    // the relay, poked after each batch, sends what waits (and the job's batches with it)
    let sent = 0;
    const relay = { poke: () => void ds.query(`DELETE FROM outbox`).then(() => (sent += 1)) } as unknown as OutboxRelayService;
    const republisher = new OutboxRepublisher(ds, relay);
    republisher.outboxRoom = 2;
    const done = republish(republisher, '0');

    const waiting = await eventually(async () => republisher.jobs.running()?.waitingForRelay === true, 10_000, 20);
    expect(waiting).toBe(true);
    expect(republisher.jobs.running()).toMatchObject({ status: 'running', enqueued: 0 });
    await ds.query(`DELETE FROM outbox WHERE topic = 't'`); // the relay sent them
    expect(await done).toMatchObject({ status: 'succeeded', waitingForRelay: false });
    expect(sent).toBeGreaterThan(0);
  });

  test('a republish waiting for a relay that sends nothing (as while Kafka is away) can be cancelled: it ends cancelled, and the next may start', async () => {
    await ds.query(`DELETE FROM outbox`);
    await ds.query(`INSERT INTO outbox (topic, key, value) SELECT 't', 'k' || g, '{}' FROM generate_series(1, 2) g`); // not sent
    let kafkaBack = false;
    const relay = { poke: () => kafkaBack && void ds.query(`DELETE FROM outbox`) } as unknown as OutboxRelayService;
    const republisher = new OutboxRepublisher(ds, relay);
    republisher.outboxRoom = 2;
    const done = republish(republisher, '0');
    expect(await eventually(() => republisher.jobs.running()?.waitingForRelay === true, 10_000, 20)).toBe(true);
    // it holds the live call events in the log while it runs (outbox-relay.kafka.int-spec: the order it keeps)
    expect(await ds.query(`SELECT count(*)::int AS n FROM relay_holds WHERE held_until > now()`)).toEqual([{ n: 1 }]);

    await republisher.jobs.cancel(republisher.jobs.running()!.id);
    expect(await done).toMatchObject({ status: 'cancelled', enqueued: 0, error: 'cancelled by an operator', holdingLiveCallEvents: false });
    expect(await ds.query(`SELECT count(*)::int AS n FROM relay_holds`)).toEqual([{ n: 0 }]); // released when it ends
    await ds.query(`DELETE FROM outbox`);
    kafkaBack = true;
    expect(await republish(republisher, '0')).toMatchObject({ status: 'succeeded' });
  });

  test("409 while another instance's republish holds the log; a lapsed hold (its instance died) does not stop it", async () => {
    const republisher = new OutboxRepublisher(ds);
    try {
      await ds.query(`INSERT INTO relay_holds (name, held_until) VALUES ('republish job-elsewhere', now() + interval '1 minute')`);
      await expect(republisher.start('0')).rejects.toMatchObject({
        status: 409,
        response: { error: 'CONFLICT', jobId: 'job-elsewhere', message: 'republish job-elsewhere is still running on another instance' },
      });
      expect(republisher.jobs.running()).toBeNull(); // none started

      await ds.query(`UPDATE relay_holds SET held_until = now() - interval '1 second'`);
      const done = new Promise<RepublishJob>((finished) => void republisher.start('0', finished));
      expect(await done).toMatchObject({ status: 'succeeded' });
    } finally {
      await ds.query(`DELETE FROM relay_holds`);
      await ds.query(`DELETE FROM outbox`);
    }
  });

  test('a call that changes while the job runs keeps its newer view last: the job leaves out its older one', async () => {
    await ds.query(`DELETE FROM outbox`);
    const store = new PostgresEventStore(ds);
    const changed = `call-${randomUUID()}`;
    const unchanged = `call-${randomUUID()}`;
    const [first] = await store.append({ streamId: changed, expectedVersion: 0, events: finalisedCallEvents(changed) });
    const stored = await store.append({ streamId: unchanged, expectedVersion: 0, events: finalisedCallEvents(unchanged) });
    const versions = stored.length;
    await ds.query(`DELETE FROM outbox`);
    await relayedAll(ds);
    // after the job's first batch (one event), the changed call gets a new event: the live path
    // would have sent its newer view then; the job's view of it is as of its start
    let batches = 0;
    let late: Promise<unknown> | undefined;
    // each batch's transaction waits for that change to commit: the order the test is about, whatever the timing
    const afterTheChange = new Proxy(ds, {
      get: (target, name, receiver) =>
        name === 'transaction'
          ? async (...args: unknown[]) => {
              await late;
              const result = await (target.transaction as (...a: unknown[]) => Promise<unknown>).apply(target, args);
              if (++batches === 1) late = store.append({ streamId: changed, expectedVersion: versions, events: [flagged(changed)] });
              return result;
            }
          : Reflect.get(target, name, receiver),
    });
    const republisher = new OutboxRepublisher(afterTheChange);
    republisher.batchSize = 1;

    const result = await republish(republisher, String(BigInt(first!.position) - 1n));

    expect(result).toMatchObject({ status: 'succeeded', finalizedViews: 1, finalizedViewsSuperseded: 1 });
    const views = (await ds.query(`SELECT key FROM outbox WHERE topic = $1`, [CALLS_FINALIZED_TOPIC])) as Array<{ key: string }>;
    expect(views.map((v) => v.key)).toEqual([unchanged]);
  });

  test('two instances: fromPosition N takes what committed after N, a lower position of the other instance included', async () => {
    await ds.query(`DELETE FROM outbox`);
    const first = new PostgresEventStore(ds);
    const second = new PostgresEventStore(ds);
    await first.append({ streamId: `other-${randomUUID()}`, expectedVersion: 0, events: [flagged('other')] }); // `first` draws the lower block
    const seen = `call-${randomUUID()}`;
    const later = `call-${randomUUID()}`;
    const [n] = await second.append({ streamId: seen, expectedVersion: 0, events: [flagged(seen)] });
    const [after] = await first.append({ streamId: later, expectedVersion: 0, events: [flagged(later)] });
    expect(BigInt(after!.position)).toBeLessThan(BigInt(n!.position)); // relayed after N, yet below it
    await ds.query(`DELETE FROM outbox`);
    await relayedAll(ds);

    const result = await republish(new OutboxRepublisher(ds), n!.position);

    expect(result).toMatchObject({ status: 'succeeded', events: 1 });
    const rows = (await ds.query(`SELECT key, value FROM outbox ORDER BY id`)) as Array<{ key: string; value: { eventId: string } }>;
    expect(rows.map((r) => [r.key, r.value.eventId])).toEqual([[later, after!.eventId]]);
  });

  test('fromPosition N on one instance: only the events after N go out again', async () => {
    await ds.query(`DELETE FROM outbox`);
    const store = new PostgresEventStore(ds);
    const call = `call-${randomUUID()}`;
    const [a] = await store.append({ streamId: call, expectedVersion: 0, events: [flagged(call)] });
    const [b] = await store.append({ streamId: call, expectedVersion: 1, events: [flagged(call)] });
    await ds.query(`DELETE FROM outbox`);
    await relayedAll(ds);

    const result = await republish(new OutboxRepublisher(ds), a!.position);

    expect(result).toMatchObject({ status: 'succeeded', fromPosition: a!.position, startedAfterPosition: a!.position, toPosition: b!.position, events: 1 });
    const rows = (await ds.query(`SELECT value FROM outbox WHERE key = $1 ORDER BY id`, [call])) as Array<{ value: { eventId: string } }>;
    expect(rows.map((r) => r.value.eventId)).toEqual([b!.eventId]);
  });

  test("the relay's checkpoint behind N (as after Kafka was away): the walk starts at its checkpoint, so a call with an event on each side of N gets both, in order", async () => {
    await ds.query(`DELETE FROM outbox`);
    const store = new PostgresEventStore(ds);
    const call = `call-${randomUUID()}`;
    await store.append({ streamId: `other-${randomUUID()}`, expectedVersion: 0, events: [flagged('other')] });
    await relayedAll(ds); // the relay sent up to here, then Kafka went away
    const [v1] = await store.append({ streamId: call, expectedVersion: 0, events: [flagged(call)] });
    const [n] = await store.append({ streamId: `other-${randomUUID()}`, expectedVersion: 0, events: [flagged('other')] });
    const [v2] = await store.append({ streamId: call, expectedVersion: 1, events: [flagged(call)] });
    await ds.query(`DELETE FROM outbox`);
    const [checkpoint] = (await ds.query(`SELECT position::text AS position FROM relay_checkpoints WHERE name = 'call-events'`)) as [{ position: string }];
    const { relay, settled } = sendingRelay(ds);

    const result = await republish(new OutboxRepublisher(ds, relay), n!.position);

    // v2 alone would go out from the outbox, then v1 and v2 from the log: v2, v1, v2 on the call's key
    expect(result).toMatchObject({ status: 'succeeded', fromPosition: n!.position, startedAfterPosition: checkpoint.position, events: 3 });
    const rows = (await settled()).filter((r) => r.key === call);
    expect(rows.map((r) => r.value.eventId)).toEqual([v1!.eventId, v2!.eventId]);
  });

  test('without a relay (KAFKA_BROKERS unset) and the checkpoint, which never moves then, before N: the walk starts after N and enqueues no call event, the log having them all still to send, in order', async () => {
    await ds.query(`DELETE FROM outbox`);
    const store = new PostgresEventStore(ds);
    const call = `call-${randomUUID()}`;
    await ds.query(`UPDATE relay_checkpoints SET transaction_id = '0'::xid8, position = 0 WHERE name = 'call-events'`);
    try {
      const [a] = await store.append({ streamId: call, expectedVersion: 0, events: [flagged(call)] });
      await store.append({ streamId: call, expectedVersion: 1, events: [flagged(call)] });
      await ds.query(`DELETE FROM outbox`);

      const result = await republish(new OutboxRepublisher(ds), a!.position);

      // from the checkpoint it took the whole log (every other test's events) on every republish;
      // an event enqueued would go out before the call's first one, still in the log
      expect(result).toMatchObject({ status: 'succeeded', fromPosition: a!.position, startedAfterPosition: a!.position, events: 1, callEvents: 0 });
      expect(await ds.query(`SELECT count(*)::int AS n FROM outbox`)).toEqual([{ n: 0 }]);
    } finally {
      await relayedAll(ds);
    }
  });

  test('a missing checkpoint row is a relay that starts from the beginning: the walk starts there', async () => {
    await ds.query(`DELETE FROM outbox`);
    const store = new PostgresEventStore(ds);
    const call = `call-${randomUUID()}`;
    const [v1] = await store.append({ streamId: call, expectedVersion: 0, events: [flagged(call)] });
    const [v2] = await store.append({ streamId: call, expectedVersion: 1, events: [flagged(call)] });
    await ds.query(`DELETE FROM outbox`);
    const [events] = (await ds.query(`SELECT count(*)::int AS n FROM events`)) as [{ n: number }];
    const [kept] = (await ds.query(`DELETE FROM relay_checkpoints RETURNING name, transaction_id::text, position::text`))[0] as [
      { name: string; transaction_id: string; position: string },
    ];
    try {
      const { relay, settled } = sendingRelay(ds);
      const result = await republish(new OutboxRepublisher(ds, relay), v1!.position);
      expect(result).toMatchObject({ status: 'succeeded', startedAfterPosition: '0', events: events.n });
      const rows = (await settled()).filter((r) => r.key === call && r.topic === CALL_EVENTS_TOPIC);
      expect(rows.map((r) => r.value.eventId)).toEqual([v1!.eventId, v2!.eventId]);
    } finally {
      await ds.query(`INSERT INTO relay_checkpoints (name, transaction_id, position) VALUES ($1, $2::xid8, $3)`, [kept.name, kept.transaction_id, kept.position]);
    }
  });

  test('with a relay, it holds the log until the relay has sent every row it enqueued (a later row need not go first)', async () => {
    await ds.query(`DELETE FROM outbox`);
    const store = new PostgresEventStore(ds);
    const call = `call-${randomUUID()}`;
    const [v1] = await store.append({ streamId: call, expectedVersion: 0, events: [flagged(call)] });
    await store.append({ streamId: call, expectedVersion: 1, events: [flagged(call)] });
    await ds.query(`DELETE FROM outbox`);
    await relayedAll(ds);
    // a relay whose sending the test does: nothing goes until it says
    const republisher = new OutboxRepublisher(ds, { poke: () => undefined } as unknown as OutboxRelayService);
    const done = republish(republisher, String(BigInt(v1!.position) - 1n));

    // its rows wait in the outbox, and the log stays held: a relay iteration that read the outbox
    // before them and the log after a release would send live events before the call's history
    expect(await eventually(() => republisher.jobs.running()?.waitingForRelay === true, 10_000, 20)).toBe(true);
    expect(republisher.jobs.running()).toMatchObject({ status: 'running', enqueued: 2, holdingLiveCallEvents: true });
    expect(await ds.query(`SELECT count(*)::int AS n FROM relay_holds WHERE held_until > now()`)).toEqual([{ n: 1 }]);
    await ds.query(`INSERT INTO outbox (topic, key, value) VALUES ('t', 'later', '{}')`); // a live view committed after its rows
    await new Promise((pause) => setTimeout(pause, 300));
    expect(republisher.jobs.running()).toMatchObject({ status: 'running', waitingForRelay: true });

    await ds.query(`DELETE FROM outbox WHERE topic <> 't'`); // the relay sent the job's rows
    expect(await done).toMatchObject({ status: 'succeeded', waitingForRelay: false, holdingLiveCallEvents: false });
    expect(await ds.query(`SELECT count(*)::int AS n FROM relay_holds`)).toEqual([{ n: 0 }]);
    await ds.query(`DELETE FROM outbox`);
  });

  test("a call whose `calls` row another session holds (a rebuild, an append that rolls back) still gets its view: the job waits for the row", async () => {
    const { busy, idle, history, from } = await twoFinalisedCalls();

    const holder = ds.createQueryRunner();
    await holder.startTransaction();
    let done: Promise<RepublishJob> | undefined;
    try {
      await holder.query(`SELECT 1 FROM calls WHERE call_id = $1 FOR UPDATE`, [busy]);
      const republisher = new OutboxRepublisher(ds);
      republisher.viewLockTimeoutMs = 10_000; // longer than the test holds the row (this database has no statement timeout; the service's would end a wait at 1.5 s)
      done = republish(republisher, from);
      expect(await eventually(async () => (await lockWaiters(ds)) > 0, 10_000, 10)).toBe(true);
      await new Promise((pause) => setTimeout(pause, 300));
      expect(republisher.jobs.running()).toMatchObject({ status: 'running' }); // still waiting for the row
    } finally {
      await holder.rollbackTransaction(); // nothing newer: the view the job has is the current one
      await holder.release();
    }

    expect(await done).toMatchObject({ status: 'succeeded', finalizedViews: 2, finalizedViewsSuperseded: 0, finalizedViewsNotSent: 0 });
    const rows = (await ds.query(`SELECT topic FROM outbox WHERE key = $1 ORDER BY id`, [busy])) as Array<{ topic: string }>;
    // its view after its republished events (per-key order)
    expect(rows.map((r) => r.topic)).toEqual([...history.map(() => CALL_EVENTS_TOPIC), CALLS_FINALIZED_TOPIC]);
    const views = (await ds.query(`SELECT key FROM outbox WHERE topic = $1 ORDER BY id`, [CALLS_FINALIZED_TOPIC])) as Array<{ key: string }>;
    expect(views.map((v) => v.key)).toEqual([idle, busy]);
  });

  test("a call whose `calls` row stays locked past the wait: its view is not sent, and counted so; the others go, and the job succeeds", async () => {
    const { busy, idle, from } = await twoFinalisedCalls();

    const holder = ds.createQueryRunner();
    await holder.startTransaction();
    try {
      await holder.query(`SELECT 1 FROM calls WHERE call_id = $1 FOR UPDATE`, [busy]);
      const republisher = new OutboxRepublisher(ds);
      republisher.viewLockTimeoutMs = 200;
      const result = await republish(republisher, from);
      expect(result).toMatchObject({ status: 'succeeded', finalizedViews: 1, finalizedViewsSuperseded: 0, finalizedViewsNotSent: 1 });
    } finally {
      await holder.rollbackTransaction();
      await holder.release();
    }
    const views = (await ds.query(`SELECT key FROM outbox WHERE topic = $1`, [CALLS_FINALIZED_TOPIC])) as Array<{ key: string }>;
    expect(views.map((v) => v.key)).toEqual([idle]);
  });

  test('a call whose `calls` row is locked by an append that commits a newer version while the job waits: its older view is left out (superseded)', async () => {
    const { store, busy, idle, history, from } = await twoFinalisedCalls();

    // the holder stands for the append's lock on the row: the append commits, then the row is free
    const holder = ds.createQueryRunner();
    await holder.startTransaction();
    let done: Promise<RepublishJob> | undefined;
    try {
      await holder.query(`SELECT 1 FROM calls WHERE call_id = $1 FOR UPDATE`, [busy]);
      const republisher = new OutboxRepublisher(ds);
      republisher.viewLockTimeoutMs = 10_000;
      done = republish(republisher, from);
      expect(await eventually(async () => (await lockWaiters(ds)) > 0, 10_000, 10)).toBe(true);
      await store.append({ streamId: busy, expectedVersion: history.length, events: [flagged(busy)] });
    } finally {
      await holder.rollbackTransaction();
      await holder.release();
    }

    expect(await done).toMatchObject({ status: 'succeeded', finalizedViews: 1, finalizedViewsSuperseded: 1, finalizedViewsNotSent: 0 });
    const views = (await ds.query(`SELECT key FROM outbox WHERE topic = $1`, [CALLS_FINALIZED_TOPIC])) as Array<{ key: string }>;
    expect(views.map((v) => v.key)).toEqual([idle]);
  });

  test("a live append of a call committing after the job's check of its view: the live (newer) view still comes last", async () => {
    await ds.query(`DELETE FROM outbox`);
    const store = new PostgresEventStore(ds);
    const call = `call-${randomUUID()}`;
    const history = finalisedCallEvents(call);
    const [first] = await appendLive(store, call, [], history);
    await ds.query(`DELETE FROM outbox`);
    await relayedAll(ds);

    // right after the job found the view current, the call changes: the append commits at once
    // (without a lock to wait for), or waits until the job's transaction commits
    let live: Promise<StoredEvent[]> | undefined;
    const blockedOrDone = async (append: Promise<unknown>) => {
      let settled = false;
      void append.finally(() => (settled = true)).catch(() => undefined);
      const blocked = () =>
        ds.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`) as Promise<[{ n: number }]>;
      expect(await eventually(async () => settled || (await blocked())[0].n > 0, 10_000, 10)).toBe(true);
    };
    const changedAfterTheCheck = new Proxy(ds, {
      get: (target, name, receiver) =>
        name === 'transaction'
          ? (work: (tx: EntityManager) => Promise<unknown>) =>
              target.transaction(async (tx) =>
                work(
                  new Proxy(tx, {
                    get: (m, n, r) =>
                      n === 'query'
                        ? async (text: string, params?: unknown[]) => {
                            const rows: unknown = await m.query(text, params);
                            if (text.includes('e.version > v.version') && live === undefined) {
                              live = appendLive(store, call, history, [flagged(call)]);
                              await blockedOrDone(live);
                            }
                            return rows;
                          }
                        : Reflect.get(m, n, r),
                  }),
                ),
              )
          : Reflect.get(target, name, receiver),
    });

    const result = await republish(new OutboxRepublisher(changedAfterTheCheck), String(BigInt(first!.position) - 1n));
    const [change] = (await live)!;

    expect(result).toMatchObject({ status: 'succeeded', finalizedViews: 1 });
    const views = (await ds.query(`SELECT value FROM outbox WHERE key = $1 AND topic = $2 ORDER BY id`, [call, CALLS_FINALIZED_TOPIC])) as Array<{
      value: { version: number };
    }>;
    expect(views.map((v) => v.value.version)).toEqual([history.length, change!.version]);
  });
});
