import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { EVENT_TYPE_COUNTS, OUTBOX_COUNTS, PostgresEventStore, foldCounts, type NewEvent, type SqlExecutor, type StoredEvent } from '#event-store';
import { createTempDatabase, type TempDatabase } from '../../../../libs/event-store/src/testing/temp-database.js';
import { useTempDatabase } from '../../../../libs/event-store/src/testing/use-temp-database.js';
import { logSettled } from '../../../../libs/event-store/src/testing/log-settled.js';
import { appMigrations, appMigrationsBefore } from '../database/database.module.js';
import type { CallEventEnvelope } from '#contracts';
import { recordBytes } from '#messaging';
import { callRowsWithAppend, type CallRow } from '../call-sessions/projections/calls.projection.js';
import {
  RELAY_BACKLOG_SQL,
  advanceCallEvents,
  callEventLogHolds,
  enqueueCallEventsAgain,
  holdCallEventLog,
  readCallEvents,
  releaseCallEventLog,
  renewCallEventLogHold,
  type RelayBacklog,
} from './call-event-log.js';

function event(n: number): NewEvent {
  return {
    type: 'StatusRecorded',
    // numbers, nesting, unicode and key order as the domain writes them
    data: { callId: 'c', key: `k${n}`, push: { eventType: n, eventTime: '1740823200', note: 'зво́нок ☎' }, receivedAt: 1740823200123 + n, late: false },
    metadata: { command: 'RecordStatusPush', receivedAt: '2025-03-01T10:00:00.123Z' },
    occurredAt: new Date(1740823200123 + n),
  };
}

/** Contract §5's envelope of a stored event, field by field. */
function envelope(e: StoredEvent, accountId: string | null): CallEventEnvelope {
  return {
    eventId: e.eventId,
    type: e.type,
    callId: e.streamId,
    accountId,
    version: e.version,
    position: e.position,
    occurredAt: e.occurredAt.toISOString(),
    recordedAt: e.recordedAt.toISOString(),
    data: e.data,
  };
}

function callRow(callId: string, accountId: string, version: number): CallRow {
  return {
    call_id: callId,
    account_id: accountId,
    status: 'OPEN',
    reconciliation_status: 'PENDING',
    call_result: null,
    cdr_overdue: false,
    version,
    opened_at: '2025-03-01T10:00:00.000Z',
    last_push_at: '2025-03-01T10:00:00.000Z',
    finalized_at: null,
    view: {},
  };
}

describe('the call events read from the event log (real Postgres, the app migrations)', () => {
  const { ds } = useTempDatabase(appMigrations, { poolSize: 4 });
  let store: PostgresEventStore;
  const query: SqlExecutor = { query: (sql, params) => ds().query(sql, params) };

  beforeAll(() => {
    store = new PostgresEventStore(ds());
  });

  /**
   * Reads from the checkpoint and moves it past what was read, as one relay iteration does; first
   * waits until what was appended is readable (unless `settle` is false).
   */
  async function relayOnce(limit = 100, settle = true): Promise<Array<{ key: string; value: any; headers: Record<string, string> }>> {
    if (settle) await logSettled(ds());
    const batch = await readCallEvents(query, limit);
    await advanceCallEvents(query, batch);
    return batch.messages.map((m) => ({ key: m.key, value: JSON.parse(m.value as string), headers: m.headers ?? {} }));
  }

  beforeEach(async () => {
    await relayOnce(100_000); // start each test with nothing pending
  });

  test('the envelope Postgres builds is contract §5\'s, field by field, headers included', async () => {
    const a = `call-${randomUUID()}`;
    const b = `call-${randomUUID()}`;
    const stored = await store.appendMany(
      [
        { streamId: a, expectedVersion: 0, events: [event(1), event(2)] },
        { streamId: b, expectedVersion: 0, events: [event(3)] },
      ],
      callRowsWithAppend([callRow(a, 'acc-a', 2), callRow(b, 'acc-b', 1)]),
    );
    const accountOf = new Map([
      [a, 'acc-a'],
      [b, 'acc-b'],
    ]);
    const expected = stored.flat().map((e: StoredEvent) => ({
      key: e.streamId,
      value: envelope(e, accountOf.get(e.streamId)!),
      headers: { 'event-id': e.eventId, 'event-type': e.type },
    }));

    const relayed = await relayOnce();

    expect(relayed.sort((x, y) => Number(x.value.position) - Number(y.value.position))).toEqual(expected);
  });

  test("the accountId is the one the writer fixed in the event, on the first send and on a republish; an older event without one takes its call's", async () => {
    const call = `call-${randomUUID()}`;
    const fixed: NewEvent = { ...event(1), metadata: { ...event(1).metadata, accountId: 'acc-at-append' } };
    // the call's account changed since (its CDR came with another): the calls row says so
    const [stored] = await store.appendMany([{ streamId: call, expectedVersion: 0, events: [fixed, event(2)] }], callRowsWithAppend([callRow(call, 'acc-now', 2)]));

    expect((await relayOnce()).filter((m) => m.key === call).map((m) => m.value.accountId)).toEqual(['acc-at-append', 'acc-now']);
    await enqueueCallEventsAgain(query, stored!.map((e) => e.position));
    const again = (await ds().query(`SELECT value FROM outbox WHERE key = $1 ORDER BY id`, [call])) as { value: CallEventEnvelope }[];
    expect(again.map((r) => r.value.accountId)).toEqual(['acc-at-append', 'acc-now']);
    await ds().query(`DELETE FROM outbox`);
  });

  test('the checkpoint moves on: what was relayed is not read again, what came after is', async () => {
    const call = `call-${randomUUID()}`;
    await store.append({ streamId: call, expectedVersion: 0, events: [event(1)] });
    expect((await relayOnce()).map((m) => m.value.version)).toEqual([1]);
    expect(await relayOnce()).toEqual([]);
    await store.append({ streamId: call, expectedVersion: 1, events: [event(2)] });
    expect((await relayOnce()).map((m) => [m.value.version, m.value.accountId])).toEqual([[2, null]]); // no calls row: no account
  });

  test('a transaction that commits late with the lower position is waited for, never skipped', async () => {
    const early = `call-${randomUUID()}`;
    const late = `call-${randomUUID()}`;
    const slow = ds().createQueryRunner();
    await slow.connect();
    try {
      await slow.startTransaction();
      // it draws its xid and the lower position first, and commits last
      const [{ position }] = (await slow.query(
        `INSERT INTO events (position, event_id, stream_id, version, type, data, metadata, occurred_at, recorded_at)
         VALUES (nextval(pg_get_serial_sequence('events', 'position')), gen_random_uuid(), $1, 1, 'StatusRecorded', '{}', '{}', now(), now())
         RETURNING position::text AS position`,
        [late],
      )) as [{ position: string }];
      const [committedFirst] = await new PostgresEventStore(ds()).append({ streamId: early, expectedVersion: 0, events: [event(1)] });
      expect(BigInt(committedFirst!.position)).toBeGreaterThan(BigInt(position)); // the case a position reader skips
      expect(await relayOnce(100, false)).toEqual([]); // the open transaction holds everything after it back
      await slow.commitTransaction();
    } finally {
      await slow.release();
    }
    expect((await relayOnce()).map((m) => m.key)).toEqual([late, early]); // commit order, both
    expect(await relayOnce()).toEqual([]);
  });

  test('a hold keeps the events in the log until it is released or its lease runs out', async () => {
    const call = `call-${randomUUID()}`;
    try {
      await store.append({ streamId: call, expectedVersion: 0, events: [event(1)] });
      await holdCallEventLog(query, 'a republish', 60_000);
      expect(await callEventLogHolds(query)).toEqual(['a republish']);
      expect(await relayOnce()).toEqual([]);
      await releaseCallEventLog(query, 'a republish');
      expect((await relayOnce()).map((m) => m.value.version)).toEqual([1]);

      await store.append({ streamId: call, expectedVersion: 1, events: [event(2)] });
      await holdCallEventLog(query, 'a job whose instance died', 60_000);
      expect(await relayOnce()).toEqual([]);
      await ds().query(`UPDATE relay_holds SET held_until = now() - interval '1 second'`); // the lease ran out
      expect(await callEventLogHolds(query)).toEqual([]);
      expect(await renewCallEventLogHold(query, 'a job whose instance died', 60_000)).toBe(false); // its job is told
      expect((await relayOnce()).map((m) => m.value.version)).toEqual([2]);
      await holdCallEventLog(query, 'the next job', 60_000); // clears the lapsed one
      expect(await ds().query(`SELECT name FROM relay_holds`)).toEqual([{ name: 'the next job' }]);
      expect(await renewCallEventLogHold(query, 'the next job', 60_000)).toBe(true);
    } finally {
      await ds().query(`DELETE FROM relay_holds`);
    }
  });

  test('a batch stops at the limit and the next one goes on from there', async () => {
    const call = `call-${randomUUID()}`;
    await store.append({ streamId: call, expectedVersion: 0, events: [event(1), event(2), event(3)] });
    expect((await relayOnce(2)).map((m) => m.value.version)).toEqual([1, 2]);
    expect((await relayOnce(2)).map((m) => m.value.version)).toEqual([3]);
  });

  test('a batch stops within its bytes, at least one event, and the checkpoint stops after the last it took', async () => {
    const call = `call-${randomUUID()}`;
    await store.append({ streamId: call, expectedVersion: 0, events: [event(1), event(2), event(3)] });
    await logSettled(ds());
    const one = recordBytes((await readCallEvents(query, 1)).messages[0]!);
    const first = await readCallEvents(query, 100, one * 2 + 1);
    expect(first).toMatchObject({ more: true });
    expect(first.messages.map((m) => JSON.parse(m.value as string).version)).toEqual([1, 2]);
    await advanceCallEvents(query, first);
    const tiny = await readCallEvents(query, 100, 1); // smaller than any event: one all the same
    expect(tiny.messages.map((m) => JSON.parse(m.value as string).version)).toEqual([3]);
    expect(tiny.more).toBe(false);
    await advanceCallEvents(query, tiny);
    expect(await relayOnce()).toEqual([]);
  });

  test('the backlog counts the events after the checkpoint and the outbox rows', async () => {
    const backlog = async () => ((await ds().query(RELAY_BACKLOG_SQL)) as RelayBacklog[])[0]!;
    expect(await backlog()).toEqual({ events: 0, age: null });
    const call = `call-${randomUUID()}`;
    await store.append({
      streamId: call,
      expectedVersion: 0,
      events: [event(1), event(2)],
      outbox: () => [{ topic: 'voice.calls.finalized.v1', key: call, value: { callId: call }, headers: {} }],
    });
    const waiting = await backlog();
    expect(waiting.events).toBe(3);
    expect(waiting.age).toBeGreaterThanOrEqual(0);
    await relayOnce();
    await ds().query(`DELETE FROM outbox`);
    expect(await backlog()).toEqual({ events: 0, age: null });
  });

  test('the backlog, read from kept counts, equals a count of the events after the checkpoint and the outbox rows', async () => {
    // what the backlog counted before it was kept: every event after the checkpoint, every outbox row
    const scanned = async () =>
      Number(
        ((await ds().query(`
          SELECT (SELECT count(*) FROM events e, relay_checkpoints k
                   WHERE k.name = 'call-events' AND (e.transaction_id, e.position) > (k.transaction_id, k.position))
               + (SELECT count(*) FROM outbox) AS n`)) as { n: string }[])[0]!.n,
      );
    const backlog = async () => ((await ds().query(RELAY_BACKLOG_SQL)) as RelayBacklog[])[0]!.events;
    const calls = Array.from({ length: 5 }, () => `call-${randomUUID()}`);
    const finalised = (call: string) => () => [{ topic: 'voice.calls.finalized.v1', key: call, value: { callId: call }, headers: {} }];
    for (const [i, call] of calls.entries()) {
      await store.append({ streamId: call, expectedVersion: 0, events: [event(1), event(2)], ...(i % 2 ? { outbox: finalised(call) } : {}) });
    }
    expect(await backlog()).toBe(await scanned());
    expect(await backlog()).toBeGreaterThanOrEqual(12);

    await relayOnce(3); // part of the log
    expect(await backlog()).toBe(await scanned());
    await ds().query(`DELETE FROM outbox WHERE id = (SELECT min(id) FROM outbox)`); // one outbox row relayed
    expect(await backlog()).toBe(await scanned());
    for (const counts of [EVENT_TYPE_COUNTS, OUTBOX_COUNTS]) await foldCounts(query, counts); // a fold changes nothing
    expect(await backlog()).toBe(await scanned());

    await relayOnce();
    await ds().query(`DELETE FROM outbox`);
    expect(await backlog()).toBe(0);
    expect(await scanned()).toBe(0);
  });
});

describe('the checkpoint on a database that already holds events (migration CreateRelayCheckpoints)', () => {
  let db: TempDatabase;

  afterAll(async () => {
    await db?.drop();
  });

  test('starts after the newest stored event: those went out by their outbox rows; the next one is read', async () => {
    db = await createTempDatabase();
    const before = await db.dataSource(appMigrationsBefore('CreateRelayCheckpoints1764000500000'));
    const call = `call-${randomUUID()}`;
    await new PostgresEventStore(before).append({ streamId: call, expectedVersion: 0, events: [event(1), event(2)] });

    const after = await db.dataSource(appMigrations); // runs the migrations still pending
    const query: SqlExecutor = after;
    await logSettled(after);
    expect((await readCallEvents(query, 100)).messages).toEqual([]);
    const backlog = async () => ((await after.query(RELAY_BACKLOG_SQL)) as RelayBacklog[])[0]!.events;
    expect(await backlog()).toBe(0); // the events before the checkpoint count as relayed
    await new PostgresEventStore(after).append({ streamId: call, expectedVersion: 2, events: [event(3)] });
    expect(await backlog()).toBe(1);
    await logSettled(after);
    const next = await readCallEvents(query, 100);
    expect(next.messages.map((m) => JSON.parse(m.value as string).version)).toEqual([3]);
  });
});
