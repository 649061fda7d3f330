import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import {
  PostgresEventStore,
  WrongExpectedVersionError,
  eventStoreMigrations,
  type AppendRequest,
  type NewEvent,
  type StoredEvent,
} from './index.js';
import { createTempDatabase, type TempDatabase } from './testing/temp-database.js';

const at = new Date('2025-03-01T10:00:00.123Z');

function event(type: string, data: Record<string, unknown> = {}, occurredAt = at): NewEvent {
  return { type, data, metadata: { pushId: randomUUID() }, occurredAt };
}

function streamId(): string {
  return `call-${randomUUID()}`;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` passes: other sessions' transactions on the server can hold readAll back a little. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value) || Date.now() > until) return value;
    await sleep(25);
  }
}

describe('PostgresEventStore (real Postgres)', () => {
  let db: TempDatabase;
  let ds: DataSource;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await createTempDatabase();
    ds = await db.dataSource(eventStoreMigrations, { poolSize: 25 });
    store = new PostgresEventStore(ds);
    await ds.query(`CREATE TABLE side_effects (stream_id text NOT NULL, note text NOT NULL)`);
  });

  afterAll(async () => {
    await db?.drop();
  });

  async function outboxFor(stream: string): Promise<Array<{ id: string; position: string | null; topic: string; key: string; value: unknown; headers: unknown }>> {
    return ds.query(`SELECT id::text, position::text, topic, key, value, headers FROM outbox WHERE key = $1 ORDER BY id`, [stream]);
  }

  /** every committed event from '0', following the checkpoint the way a reader does */
  async function drainAll(): Promise<StoredEvent[]> {
    const all: StoredEvent[] = [];
    let from = '0';
    for (;;) {
      const batch = await store.readAll(from, 100);
      if (batch.length === 0) return all;
      all.push(...batch);
      from = batch.at(-1)!.position;
    }
  }

  /** the checkpoint after every event committed so far (waits until readAll has them all) */
  async function caughtUp(): Promise<string> {
    const [{ n }] = (await ds.query(`SELECT count(*)::int AS n FROM events`)) as [{ n: number }];
    const all = await eventually(drainAll, (evs) => evs.length === n);
    expect(all).toHaveLength(n);
    return all.at(-1)?.position ?? '0';
  }

  test('migrations are named and recorded', async () => {
    const rows: Array<{ name: string }> = await ds.query(`SELECT name FROM migrations ORDER BY timestamp`);
    expect(rows.map((r) => r.name)).toEqual([
      'CreateEvents1764000000000',
      'CreateOutbox1764000000001',
      'CreateAppendConflict1764100000000',
      'PositionBlocks1764100000001',
      'CountEventTypes1764100000002',
      'CountOutboxRows1764100000003',
    ]);
  });

  test('append then readStream round-trips types, data, metadata and dates', async () => {
    const s = streamId();
    const tricky = { quote: 'say "hi"', backslash: 'a\\b', braces: '{x,y}', unicode: 'žluťoučký ☎', nested: { list: [1, null, 'x'] }, nothing: null };
    const stored = await store.append({
      streamId: s,
      expectedVersion: 0,
      events: [
        { type: 'CallStarted', data: { from: '+420123' }, metadata: { pushId: 'p1', receivedAt: '2025-03-01T10:00:01Z' }, occurredAt: at },
        { type: 'StatusRecorded', data: tricky, metadata: {}, occurredAt: new Date('2025-03-01T10:00:05.999Z') },
      ],
    });

    expect(stored).toHaveLength(2);
    expect(stored.map((e) => e.version)).toEqual([1, 2]);
    expect(stored.map((e) => e.type)).toEqual(['CallStarted', 'StatusRecorded']);
    for (const e of stored) {
      expect(e.streamId).toBe(s);
      expect(e.eventId).toMatch(/^[0-9a-f-]{36}$/);
      expect(e.position).toMatch(/^\d+$/);
      expect(e.recordedAt).toBeInstanceOf(Date);
      expect(e.occurredAt).toBeInstanceOf(Date);
    }
    expect(BigInt(stored[1]!.position)).toBeGreaterThan(BigInt(stored[0]!.position));
    expect(stored[0]!.occurredAt.toISOString()).toBe('2025-03-01T10:00:00.123Z');
    expect(stored[1]!.data).toEqual(tricky);

    const read = await store.readStream(s);
    expect(read).toEqual(stored);
    expect(read[0]!.metadata).toEqual({ pushId: 'p1', receivedAt: '2025-03-01T10:00:01Z' });
    expect(read[1]!.occurredAt.toISOString()).toBe('2025-03-01T10:00:05.999Z');

    expect(await store.readStream(s, 2)).toEqual([stored[1]]);
    expect(await store.readStream(streamId())).toEqual([]);
  });

  test('event ids are UUIDv7s: the unique index orders them as the appends came (by their millisecond)', async () => {
    const appended: StoredEvent[] = [];
    for (let i = 0; i < 3; i++) {
      appended.push(...(await store.append({ streamId: streamId(), expectedVersion: 0, events: [event('A'), event('B')] })));
      await sleep(2); // ids of different milliseconds too, not only of one
    }
    const [batch] = await store.appendMany([{ streamId: streamId(), expectedVersion: 0, events: [event('C'), event('D'), event('E')] }]);
    appended.push(...batch!);

    for (const e of appended) expect(e.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const millisOf = (id: string) => id.slice(0, 13);
    const byIndex: Array<{ event_id: string }> = await ds.query(`SELECT event_id::text FROM events WHERE event_id = ANY($1::uuid[]) ORDER BY event_id`, [
      appended.map((e) => e.eventId),
    ]);
    expect(byIndex.map((r) => millisOf(r.event_id))).toEqual(appended.map((e) => millisOf(e.eventId)));
    expect(new Set(appended.map((e) => millisOf(e.eventId))).size).toBeGreaterThan(1);
  });

  test('the append and the single-stream read are prepared once per connection, then only executed', async () => {
    // one connection, so the check sees the session the store used
    const single = await db.dataSource(eventStoreMigrations, { poolSize: 1 });
    try {
      const oneConnection = new PostgresEventStore(single);
      const id = streamId();
      for (let v = 0; v < 3; v++) await oneConnection.append({ streamId: id, expectedVersion: v, events: [event('Happened')] });
      await oneConnection.readStream(id);
      await oneConnection.readStream(id);
      const prepared = (await single.query(
        `SELECT statement FROM pg_prepared_statements WHERE NOT from_sql ORDER BY prepare_time`,
      )) as Array<{ statement: string }>;
      expect(prepared.filter((p) => p.statement.includes('INSERT INTO events'))).toHaveLength(1);
      expect(prepared.filter((p) => /FROM events\s+WHERE stream_id = \$1/.test(p.statement))).toHaveLength(1);
      expect(await oneConnection.readStream(id)).toHaveLength(3);
    } finally {
      await single.destroy();
    }
  });

  describe('expected version', () => {
    test('a stale expected version fails and writes nothing', async () => {
      const s = streamId();
      await store.append({ streamId: s, expectedVersion: 0, events: [event('A'), event('B'), event('C')] });

      for (const stale of [0, 1, 2]) {
        const err = await store
          .append({ streamId: s, expectedVersion: stale, events: [event('Late')] })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(WrongExpectedVersionError);
        expect(err).toMatchObject({ streamId: s, expectedVersion: stale });
      }
      expect((await store.readStream(s)).map((e) => e.version)).toEqual([1, 2, 3]);
    });

    test('an expected version ahead of the stream fails (no gap is ever written)', async () => {
      const s = streamId();
      await store.append({ streamId: s, expectedVersion: 0, events: [event('A')] });

      for (const ahead of [2, 5]) {
        await expect(store.append({ streamId: s, expectedVersion: ahead, events: [event('X')] })).rejects.toBeInstanceOf(
          WrongExpectedVersionError,
        );
      }
      // and on a stream that does not exist
      await expect(store.append({ streamId: streamId(), expectedVersion: 1, events: [event('X')] })).rejects.toBeInstanceOf(
        WrongExpectedVersionError,
      );
      expect((await store.readStream(s)).map((e) => e.version)).toEqual([1]);
    });

    test('creating the same new stream twice: the second fails', async () => {
      const s = streamId();
      await store.append({ streamId: s, expectedVersion: 0, events: [event('A')] });
      await expect(store.append({ streamId: s, expectedVersion: 0, events: [event('A')] })).rejects.toMatchObject({
        name: 'WrongExpectedVersionError',
        streamId: s,
        expectedVersion: 0,
      });
      expect(await store.readStream(s)).toHaveLength(1);
    });

    test('the current expected version succeeds and continues the versions', async () => {
      const s = streamId();
      await store.append({ streamId: s, expectedVersion: 0, events: [event('A'), event('B')] });
      const next = await store.append({ streamId: s, expectedVersion: 2, events: [event('C'), event('D')] });
      expect(next.map((e) => e.version)).toEqual([3, 4]);
    });

    test('input is checked before touching the database', async () => {
      const s = streamId();
      await expect(store.append({ streamId: s, expectedVersion: -1, events: [event('A')] })).rejects.toBeInstanceOf(RangeError);
      await expect(store.append({ streamId: s, expectedVersion: 0, events: [] })).rejects.toBeInstanceOf(RangeError);
      await expect(
        store.append({ streamId: s, expectedVersion: 0, events: [event('A', {}, new Date('nope'))] }),
      ).rejects.toBeInstanceOf(TypeError);
      await expect(store.readAll('abc', 10)).rejects.toBeInstanceOf(TypeError);
    });
  });

  test('50 concurrent appends at one expected version: exactly one wins, 49 get WrongExpectedVersionError', async () => {
    const s = streamId();
    await store.append({ streamId: s, expectedVersion: 0, events: [event('CallStarted')] });

    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        store.append({
          streamId: s,
          expectedVersion: 1,
          events: [event('StatusRecorded', { writer: i }), event('StatusRecorded', { writer: i, second: true })],
          outbox: (stored) => stored.map((e) => ({ topic: 't', key: s, value: { writer: i, v: e.version }, headers: {} })),
        }),
      ),
    );

    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(49);
    for (const r of lost) {
      expect(r.reason).toBeInstanceOf(WrongExpectedVersionError);
      expect(r.reason).toMatchObject({ streamId: s, expectedVersion: 1 });
    }

    const events = await store.readStream(s);
    expect(events.map((e) => e.version)).toEqual([1, 2, 3]);
    const winner = (events[1]!.data as { writer: number }).writer;
    expect(events[2]!.data).toEqual({ writer: winner, second: true });
    const outbox = await outboxFor(s);
    expect(outbox.map((o) => o.value)).toEqual([
      { writer: winner, v: 2 },
      { writer: winner, v: 3 },
    ]);
  }, 30_000);

  test('many concurrent writers retrying on conflict: versions 1..N, no gap, every write present once', async () => {
    const s = streamId();
    const writers = 12;
    const perWriter = 8;
    let conflicts = 0;

    async function writer(w: number): Promise<void> {
      for (let n = 0; n < perWriter; n++) {
        for (;;) {
          const history = await store.readStream(s);
          const version = history.at(-1)?.version ?? 0;
          try {
            await store.append({ streamId: s, expectedVersion: version, events: [event('Noted', { w, n })] });
            break;
          } catch (err) {
            if (!(err instanceof WrongExpectedVersionError)) throw err;
            conflicts++;
          }
        }
      }
    }
    await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));

    const events = await store.readStream(s);
    const total = writers * perWriter;
    expect(events.map((e) => e.version)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const writes = events.map((e) => `${String(e.data.w)}/${String(e.data.n)}`);
    expect(new Set(writes).size).toBe(total);
    // each writer's own writes are in its order
    for (let w = 0; w < writers; w++) {
      expect(events.filter((e) => e.data.w === w).map((e) => e.data.n)).toEqual(Array.from({ length: perWriter }, (_, n) => n));
    }
    expect(conflicts).toBeGreaterThan(0); // they really did race
  }, 60_000);

  describe('outbox and inTransaction', () => {
    test('outbox rows and inTransaction writes commit with the events; outbox sees the stored positions', async () => {
      const s = streamId();
      const stored = await store.append({
        streamId: s,
        expectedVersion: 0,
        events: [event('A'), event('B')],
        outbox: (evs) => [
          ...evs.map((e) => ({ topic: 'voice.call-events.v1', key: s, value: { id: e.eventId, v: e.version }, headers: { 'event-id': e.eventId }, position: e.position })),
          { topic: 'voice.calls.finalized.v1', key: s, value: 'final', headers: {} },
        ],
        inTransaction: async (tx, evs) => {
          await tx.query(`INSERT INTO side_effects (stream_id, note) VALUES ($1, $2)`, [s, `v${evs.at(-1)!.version}`]);
          const seen = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE stream_id = $1`, [s]);
          expect(seen).toEqual([{ n: 2 }]); // the executor runs inside the append's transaction
        },
      });

      const outbox = await outboxFor(s);
      expect(outbox).toHaveLength(3);
      expect(outbox.map((o) => o.position)).toEqual([stored[0]!.position, stored[1]!.position, null]);
      expect(outbox[0]).toMatchObject({ topic: 'voice.call-events.v1', key: s, value: { id: stored[0]!.eventId, v: 1 }, headers: { 'event-id': stored[0]!.eventId } });
      expect(outbox[2]).toMatchObject({ topic: 'voice.calls.finalized.v1', value: 'final', headers: {} });
      expect(BigInt(outbox[1]!.id)).toBeGreaterThan(BigInt(outbox[0]!.id));
      expect(await ds.query(`SELECT note FROM side_effects WHERE stream_id = $1`, [s])).toEqual([{ note: 'v2' }]);
    });

    test('a failing inTransaction rolls back events, outbox and its own writes, and rethrows', async () => {
      const s = streamId();
      const boom = new Error('read model rejected it');
      const err = await store
        .append({
          streamId: s,
          expectedVersion: 0,
          events: [event('A')],
          outbox: () => [{ topic: 't', key: s, value: {}, headers: {} }],
          inTransaction: async (tx) => {
            await tx.query(`INSERT INTO side_effects (stream_id, note) VALUES ($1, 'x')`, [s]);
            throw boom;
          },
        })
        .catch((e: unknown) => e);
      expect(err).toBe(boom);
      expect(await store.readStream(s)).toEqual([]);
      expect(await outboxFor(s)).toEqual([]);
      expect(await ds.query(`SELECT * FROM side_effects WHERE stream_id = $1`, [s])).toEqual([]);
      // the stream is still free
      expect(await store.append({ streamId: s, expectedVersion: 0, events: [event('A')] })).toHaveLength(1);
    });

    test('a failing outbox callback rolls back too', async () => {
      const s = streamId();
      await expect(
        store.append({
          streamId: s,
          expectedVersion: 0,
          events: [event('A')],
          outbox: () => {
            throw new Error('bad envelope');
          },
        }),
      ).rejects.toThrow('bad envelope');
      expect(await store.readStream(s)).toEqual([]);
    });
  });

  describe('appendMany (group commit)', () => {
    test('appends several streams in one transaction, results in request order', async () => {
      const [a, b, c] = [streamId(), streamId(), streamId()];
      await store.append({ streamId: b, expectedVersion: 0, events: [event('B1')] });
      const txids = new Set<string>();
      const req = (s: string, expectedVersion: number, n: number): AppendRequest => ({
        streamId: s,
        expectedVersion,
        events: Array.from({ length: n }, (_, i) => event(`E${i}`)),
        outbox: (evs) => evs.map((e) => ({ topic: 't', key: s, value: { v: e.version }, headers: {}, position: e.position })),
        inTransaction: async (tx) => {
          const [row] = await tx.query<{ x: string }>(`SELECT pg_current_xact_id()::text AS x`);
          txids.add(row!.x);
        },
      });
      const stored = await store.appendMany([req(a, 0, 2), req(b, 1, 1), req(c, 0, 3)]);
      expect(stored.map((evs) => evs.map((e) => [e.streamId, e.version]))).toEqual([
        [[a, 1], [a, 2]],
        [[b, 2]],
        [[c, 1], [c, 2], [c, 3]],
      ]);
      expect(txids.size).toBe(1);
      expect(await outboxFor(c)).toHaveLength(3);
      expect(await store.appendMany([])).toEqual([]);
    });

    test('several conflicting streams: the error names them all, in the batch\'s order', async () => {
      const [a, b, c, d] = [streamId(), streamId(), streamId(), streamId()];
      for (const s of [b, d]) await store.append({ streamId: s, expectedVersion: 0, events: [event('X')] });
      const request = (s: string, v: number): AppendRequest => ({ streamId: s, expectedVersion: v, events: [event('Y'), event('Z')] });
      const err = await store.appendMany([request(a, 0), request(d, 0), request(b, 5), request(c, 0)]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WrongExpectedVersionError);
      expect(err).toMatchObject({ streamId: d, expectedVersion: 0, streamIds: [d, b] });
      for (const s of [a, c]) expect(await store.readStream(s)).toEqual([]);
    });

    test('all or nothing: one conflicting stream fails the batch and names that stream', async () => {
      const [a, b, c] = [streamId(), streamId(), streamId()];
      await store.append({ streamId: b, expectedVersion: 0, events: [event('B1'), event('B2')] });
      const ok = (s: string, v: number): AppendRequest => ({
        streamId: s,
        expectedVersion: v,
        events: [event('X')],
        outbox: () => [{ topic: 't', key: s, value: {}, headers: {} }],
        inTransaction: async (tx) => {
          await tx.query(`INSERT INTO side_effects (stream_id, note) VALUES ($1, 'batch')`, [s]);
        },
      });

      const also = {
        sql: `INSERT INTO side_effects (stream_id, note) SELECT s, 'also' FROM jsonb_array_elements_text($3::jsonb) AS s`,
        rows: [a, b, c],
      };
      for (const badVersion of [1, 0, 3]) {
        // stale (1), colliding on version 1 (0), ahead (3)
        const err = await store.appendMany([ok(a, 0), ok(b, badVersion), ok(c, 0)], also).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(WrongExpectedVersionError);
        expect(err).toMatchObject({ streamId: b, expectedVersion: badVersion });
        expect((err as Error).message).toContain(b);
      }
      for (const s of [a, c]) {
        expect(await store.readStream(s)).toEqual([]);
        expect(await outboxFor(s)).toEqual([]);
      }
      expect(await ds.query(`SELECT * FROM side_effects WHERE note IN ('batch', 'also') AND stream_id = ANY($1)`, [[a, b, c]])).toEqual([]);
      expect((await store.readStream(b)).map((e) => e.version)).toEqual([1, 2]);

      // the same batch at the right version goes through
      const stored = await store.appendMany([ok(a, 0), ok(b, 2), ok(c, 0)], also);
      expect(stored.map((evs) => evs[0]!.version)).toEqual([1, 3, 1]);
      const written: { stream_id: string }[] = await ds.query(`SELECT stream_id FROM side_effects WHERE note = 'also' AND stream_id = ANY($1) ORDER BY stream_id COLLATE "C"`, [[a, b, c]]);
      expect(written.map((r) => r.stream_id)).toEqual([a, b, c].sort());
    });

    test('a stream twice in one batch is refused', async () => {
      const s = streamId();
      await expect(
        store.appendMany([
          { streamId: s, expectedVersion: 0, events: [event('A')] },
          { streamId: s, expectedVersion: 1, events: [event('B')] },
        ]),
      ).rejects.toBeInstanceOf(RangeError);
      expect(await store.readStream(s)).toEqual([]);
    });

    test('concurrent batches over the same streams in different orders do not deadlock', async () => {
      const streams = Array.from({ length: 6 }, () => streamId());
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => {
          const order = i % 2 === 0 ? streams : [...streams].reverse();
          return store.appendMany(order.map((s) => ({ streamId: s, expectedVersion: 0, events: [event('A', { batch: i })] })));
        }),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(WrongExpectedVersionError);
      }
      for (const s of streams) expect(await store.readStream(s)).toHaveLength(1);
    }, 30_000);
  });

  test('readStreams reads several streams at once, in version order; an unknown stream is []', async () => {
    const [a, b, none] = [streamId(), streamId(), streamId()];
    const storedA = await store.append({ streamId: a, expectedVersion: 0, events: [event('A1'), event('A2')] });
    const storedB = await store.append({ streamId: b, expectedVersion: 0, events: [event('B1')] });
    const more = await store.append({ streamId: a, expectedVersion: 2, events: [event('A3')] });
    const streams = await store.readStreams([b, none, a]);
    expect([...streams.keys()].sort()).toEqual([a, b, none].sort());
    expect(streams.get(a)).toEqual([...storedA, ...more]);
    expect(streams.get(b)).toEqual(storedB);
    expect(streams.get(none)).toEqual([]);
    expect(await store.readStreams([])).toEqual(new Map());
  });

  describe('readAll', () => {
    test('pages through committed events from a checkpoint', async () => {
      const s = streamId();
      const stored = await store.append({ streamId: s, expectedVersion: 0, events: [event('A'), event('B'), event('C')] });
      const all = await eventually(drainAll, (evs) => evs.some((e) => e.eventId === stored[2]!.eventId));
      const mine = all.filter((e) => e.streamId === s);
      expect(mine).toEqual(stored);
      // no event twice, positions unique
      expect(new Set(all.map((e) => e.position)).size).toBe(all.length);

      const before = all[all.indexOf(all.find((e) => e.eventId === stored[0]!.eventId)!) - 1];
      const page = await store.readAll(before?.position ?? '0', 2);
      expect(page.map((e) => e.eventId)).toEqual([stored[0]!.eventId, stored[1]!.eventId]);
      expect(await store.readAll(page[1]!.position, 5)).toEqual([stored[2]]);
    });

    test('an uncommitted append with a lower position holds back later commits, then both come', async () => {
      const checkpoint = await caughtUp();
      const [sa, sb] = [streamId(), streamId()];
      const reached = deferred();
      const release = deferred();

      // tx A: inserts (draws the lower position), then waits inside its transaction
      const appendA = store.append({
        streamId: sa,
        expectedVersion: 0,
        events: [event('A')],
        inTransaction: async () => {
          reached.resolve();
          await release.promise;
        },
      });
      await reached.promise;
      // tx B: commits while A is open
      const [b] = await store.append({ streamId: sb, expectedVersion: 0, events: [event('B')] });

      // B is committed and readable by stream, but readAll must not pass A's position by
      for (let i = 0; i < 5; i++) {
        expect(await store.readAll(checkpoint, 100)).toEqual([]);
        await sleep(20);
      }
      expect(await store.readStream(sb)).toEqual([b]);

      release.resolve();
      const [a] = await appendA;
      expect(BigInt(a!.position)).toBeLessThan(BigInt(b!.position));
      const after = await eventually(
        () => store.readAll(checkpoint, 100),
        (evs) => evs.length === 2,
      );
      expect(after).toEqual([a, b]);
    }, 30_000);

    test('a transaction with an older xid but a higher position cannot make the reader skip', async () => {
      // Concurrent writers interleave: a transaction that got its xid first can draw its position
      // after one that is still running. A position-only checkpoint would step over the latter.
      const checkpoint = await caughtUp();
      const [sOld, sNew] = [streamId(), streamId()];
      const early = new pg.Client({ connectionString: db.url });
      await early.connect();
      try {
        await early.query('BEGIN');
        await early.query('SELECT pg_current_xact_id()'); // the older xid

        const reached = deferred();
        const release = deferred();
        const appendNew = store.append({
          streamId: sNew,
          expectedVersion: 0,
          events: [event('New')],
          inTransaction: async () => {
            reached.resolve();
            await release.promise;
          },
        });
        await reached.promise; // younger xid, lower position, still open

        await early.query(
          `INSERT INTO events (stream_id, version, type, data, metadata, occurred_at) VALUES ($1, 1, 'Old', '{}', '{}', now())`,
          [sOld],
        );
        await early.query('COMMIT');

        // the reader sees the older transaction's event (higher position) first …
        const first = await eventually(
          () => store.readAll(checkpoint, 100),
          (evs) => evs.length > 0,
        );
        expect(first.map((e) => e.streamId)).toEqual([sOld]);
        const next = first.at(-1)!.position;

        release.resolve();
        const [stored] = await appendNew;
        expect(BigInt(stored!.position)).toBeLessThan(BigInt(next));

        // … and, resuming from that event's position, still gets the lower-positioned one
        const second = await eventually(
          () => store.readAll(next, 100),
          (evs) => evs.length > 0,
        );
        expect(second).toEqual([stored]);
      } finally {
        await early.end();
      }
    }, 30_000);
  });

  describe('positions drawn in blocks (PositionBlocks migration)', () => {
    test('one nextval reserves a block: two stores appending at once get unique positions, each in runs of consecutive values', async () => {
      const [{ step }] = (await ds.query(
        `SELECT seqincrement::int AS step FROM pg_sequence WHERE seqrelid = pg_get_serial_sequence('events', 'position')::regclass`,
      )) as Array<{ step: number }>;
      expect(step).toBe(1_000);

      // two fresh stores, as two instances would be: each draws its own block
      const stores = [new PostgresEventStore(ds), new PostgresEventStore(await db.dataSource(eventStoreMigrations, { poolSize: 5 }))];
      const [{ last }] = (await ds.query(`SELECT coalesce(max(position), 0)::text AS last FROM events`)) as Array<{ last: string }>;
      const written = await Promise.all(
        stores.map((s) =>
          Promise.all(
            Array.from({ length: 20 }, () => s.append({ streamId: streamId(), expectedVersion: 0, events: [event('A'), event('B')] })),
          ),
        ),
      );
      const ranges = written.map((w) => {
        const positions = w.flat().map((e) => BigInt(e.position));
        expect(new Set(positions).size).toBe(40);
        expect(positions.every((p) => p > BigInt(last))).toBe(true);
        const sorted = [...positions].sort((a, b) => (a < b ? -1 : 1));
        return { min: sorted[0]!, max: sorted.at(-1)! };
      });
      for (const r of ranges) expect(r.max - r.min).toBeLessThan(1_000n);
      const [a, b] = ranges as [{ min: bigint; max: bigint }, { min: bigint; max: bigint }];
      expect(a.max < b.min || b.max < a.min).toBe(true);
    });

    test('on a log written before the migration, new positions start above every old one and never meet a one-at-a-time writer', async () => {
      const old = await createTempDatabase();
      try {
        const [events, outbox, conflict] = eventStoreMigrations;
        const before = await old.dataSource([events!, outbox!, conflict!], { poolSize: 2 });
        const insertOne = (ds: DataSource, id: string) =>
          ds.query(
            `INSERT INTO events (stream_id, version, type, data, metadata, occurred_at) VALUES ($1, 1, 'Old', '{}', '{}', now()) RETURNING position::text AS p`,
          [id],
          ) as Promise<Array<{ p: string }>>;
        const oldPositions: bigint[] = [];
        for (let i = 0; i < 3; i++) oldPositions.push(BigInt((await insertOne(before, streamId()))[0]!.p));

        const after = await old.dataSource(eventStoreMigrations, { poolSize: 2 });
        const migrated = new PostgresEventStore(after);
        const first = await migrated.append({ streamId: streamId(), expectedVersion: 0, events: [event('New')] });
        // a writer that still takes one nextval per event (an instance from before, mid-upgrade)
        const legacy = BigInt((await insertOne(before, streamId()))[0]!.p);
        const more = await migrated.append({ streamId: streamId(), expectedVersion: 0, events: Array.from({ length: 5 }, () => event('New')) });

        const blockPositions = [...first, ...more].map((e) => BigInt(e.position));
        expect(blockPositions.every((p) => oldPositions.every((o) => p > o))).toBe(true);
        expect(blockPositions).not.toContain(legacy);
        expect(new Set(blockPositions).size).toBe(6);
      } finally {
        await old.drop();
      }
    });
  });
});
