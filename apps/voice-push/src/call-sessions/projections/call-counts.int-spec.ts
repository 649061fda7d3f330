import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { CALL_SESSION_STATUSES, RECONCILIATION_STATUSES } from '#call-session-domain';
import { EVENT_TYPE_COUNTS, PostgresEventStore, foldCounts, readCounts, type SqlExecutor } from '#event-store';
import { useTempDatabase } from '../../../../../libs/event-store/src/testing/use-temp-database.js';
import { createTempDatabase } from '../../../../../libs/event-store/src/testing/temp-database.js';
import { appMigrations } from '../../database/database.module.js';
import { CALL_COUNTS, readCallCounts } from './call-counts.js';
import { callRowsWithAppend, upsertRebuiltCallRows, type CallRow } from './calls.projection.js';

const CALL_IDS = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];

function row(callId: string, version: number, status: string, reconciliation: string, overdue: boolean): CallRow {
  return {
    call_id: callId,
    account_id: 'acc-1',
    status,
    reconciliation_status: reconciliation,
    call_result: null,
    cdr_overdue: overdue,
    version,
    opened_at: '2025-03-01T10:00:00.000Z',
    last_push_at: '2025-03-01T10:00:00.000Z',
    finalized_at: null,
    view: { callId, version },
  };
}

/** The push path's upsert of `calls` rows, run on its own (beside the append its rows are `$3`). */
function upsertLive(db: SqlExecutor, rows: CallRow[]): Promise<unknown> {
  return db.query(callRowsWithAppend(rows).sql.replace('$3::jsonb', '$1::jsonb'), [JSON.stringify(rows)]);
}

/** The counts as a GROUP BY over `calls` gives them: what the kept counts must equal. */
const COUNTED_FROM_CALLS = `
  SELECT status, reconciliation_status, cdr_overdue, count(*)::text AS n FROM calls
   GROUP BY status, reconciliation_status, cdr_overdue`;

const sorted = <T extends { status: string; reconciliation_status: string; cdr_overdue: boolean }>(rows: T[]) =>
  [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/** A write the service (or an operator) makes to `calls`. */
type Write =
  | { kind: 'live' | 'rebuild'; rows: { callId: string; status: string; reconciliation: string; overdue: boolean; bump: number }[] }
  | { kind: 'delete'; callId: string }
  | { kind: 'flagOverdue'; callId: string }
  | { kind: 'fold' };

const rowArb = fc.record({
  callId: fc.constantFrom(...CALL_IDS),
  status: fc.constantFrom(...CALL_SESSION_STATUSES),
  reconciliation: fc.constantFrom(...RECONCILIATION_STATUSES),
  overdue: fc.boolean(),
  // 0: the same version again (the live upsert skips it, the rebuild writes it where it differs)
  bump: fc.integer({ min: 0, max: 2 }),
});
const writeArb: fc.Arbitrary<Write> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('live' as const, 'rebuild' as const),
    rows: fc.uniqueArray(rowArb, { selector: (r) => r.callId, minLength: 1, maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), callId: fc.constantFrom(...CALL_IDS) }),
  fc.record({ kind: fc.constant('flagOverdue' as const), callId: fc.constantFrom(...CALL_IDS) }),
  fc.constant({ kind: 'fold' as const }),
);

describe('sessions counted as calls rows are written (real Postgres, the app migrations)', () => {
  const { ds } = useTempDatabase(appMigrations);

  async function versions(): Promise<Map<string, number>> {
    const rows = (await ds().query(`SELECT call_id, version FROM calls`)) as { call_id: string; version: number }[];
    return new Map(rows.map((r) => [r.call_id, r.version]));
  }

  async function apply(write: Write): Promise<void> {
    switch (write.kind) {
      case 'live':
      case 'rebuild': {
        const stored = await versions();
        const rows = write.rows.map((r) =>
          row(r.callId, (stored.get(r.callId) ?? 0) + r.bump, r.status, r.reconciliation, r.overdue),
        );
        if (write.kind === 'rebuild') {
          await upsertRebuiltCallRows(ds(), rows);
        } else {
          await upsertLive(ds(), rows);
        }
        return;
      }
      case 'delete':
        await ds().query(`DELETE FROM calls WHERE call_id = $1`, [write.callId]);
        return;
      case 'flagOverdue':
        await ds().query(`UPDATE calls SET cdr_overdue = true WHERE call_id = $1`, [write.callId]);
        return;
      case 'fold':
        await foldCounts(ds(), CALL_COUNTS);
        return;
    }
  }

  test('any sequence of upserts (live and rebuild), deletes, flag updates and folds: the counts equal a GROUP BY over calls', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(writeArb, { minLength: 1, maxLength: 25 }), async (writes) => {
        await ds().query(`DELETE FROM calls`);
        await foldCounts(ds(), CALL_COUNTS);
        expect(await readCallCounts(ds())).toEqual([]);

        for (const write of writes) await apply(write);

        const expected = sorted((await ds().query(COUNTED_FROM_CALLS)) as Awaited<ReturnType<typeof readCallCounts>>);
        expect(sorted(await readCallCounts(ds()))).toEqual(expected);
        await foldCounts(ds(), CALL_COUNTS);
        expect(await ds().query(`SELECT * FROM call_count_changes`)).toEqual([]);
        expect(sorted(await readCallCounts(ds()))).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });

  test('a status push that leaves status, reconciliation and the flag as they were adds no change row', async () => {
    await ds().query(`DELETE FROM calls`);
    await foldCounts(ds(), CALL_COUNTS);
    await apply({ kind: 'live', rows: [{ callId: 'c1', status: 'OPEN', reconciliation: 'PENDING', overdue: false, bump: 1 }] });
    await foldCounts(ds(), CALL_COUNTS);

    await apply({ kind: 'live', rows: [{ callId: 'c1', status: 'OPEN', reconciliation: 'PENDING', overdue: false, bump: 1 }] });
    expect(await ds().query(`SELECT * FROM call_count_changes`)).toEqual([]);

    await apply({ kind: 'live', rows: [{ callId: 'c1', status: 'FINALIZED', reconciliation: 'MATCHED', overdue: false, bump: 1 }] });
    expect(await ds().query(`SELECT status, reconciliation_status, n::int FROM call_count_changes ORDER BY n`)).toEqual([
      { status: 'OPEN', reconciliation_status: 'PENDING', n: -1 },
      { status: 'FINALIZED', reconciliation_status: 'MATCHED', n: 1 },
    ]);
  });

  test('writes in flight beside a fold are neither lost nor counted twice', async () => {
    await ds().query(`DELETE FROM calls`);
    await foldCounts(ds(), CALL_COUNTS);
    const ids = Array.from({ length: 200 }, (_, i) => `busy-${i}`);
    await Promise.all([
      ...ids.map((id, i) =>
        apply({ kind: 'live', rows: [{ callId: id, status: CALL_SESSION_STATUSES[i % 3]!, reconciliation: 'PENDING', overdue: false, bump: 1 }] }),
      ),
      ...Array.from({ length: 10 }, () => foldCounts(ds(), CALL_COUNTS)),
    ]);
    expect(sorted(await readCallCounts(ds()))).toEqual(sorted((await ds().query(COUNTED_FROM_CALLS)) as never[]));
    await foldCounts(ds(), CALL_COUNTS);
    const totals = (await ds().query(`SELECT sum(n)::int AS n FROM call_counts`)) as { n: number }[];
    expect(totals[0]!.n).toBe(200);
  });

  test('events are counted by type as the store appends them', async () => {
    const store = new PostgresEventStore(ds());
    const eventCounts = async () => new Map((await readCounts<{ type: string }>(ds(), EVENT_TYPE_COUNTS)).map((r) => [r.type, Number(r.n)]));
    const before = await eventCounts();
    const event = (type: string) => ({ type, data: {}, metadata: {}, occurredAt: new Date() });
    await store.appendMany([
      { streamId: 'e1', expectedVersion: 0, events: [event('StatusRecorded'), event('StatusRecorded')] },
      { streamId: 'e2', expectedVersion: 0, events: [event('CdrRecorded')] },
    ]);
    await foldCounts(ds(), EVENT_TYPE_COUNTS);
    await store.append({ streamId: 'e1', expectedVersion: 2, events: [event('StatusRecorded')] });

    const after = await eventCounts();
    expect((after.get('StatusRecorded') ?? 0) - (before.get('StatusRecorded') ?? 0)).toBe(3);
    expect((after.get('CdrRecorded') ?? 0) - (before.get('CdrRecorded') ?? 0)).toBe(1);
    // a conflicting append stores nothing and counts nothing
    await expect(store.append({ streamId: 'e2', expectedVersion: 0, events: [event('CdrRecorded')] })).rejects.toThrow();
    expect(await eventCounts()).toEqual(after);
  });
});

test('the migrations start the counts from the rows already stored', async () => {
  const names = ['CountCalls1764000600000', 'CountEventTypes1764100000002'];
  const before = appMigrations.filter((m) => !names.includes(m.name));
  expect(before).toHaveLength(appMigrations.length - 2);
  const temp = await createTempDatabase();
  try {
    const old = await temp.dataSource(before);
    const store = new PostgresEventStore(old);
    const event = { type: 'StatusRecorded', data: {}, metadata: {}, occurredAt: new Date() };
    await store.append({ streamId: 'old-1', expectedVersion: 0, events: [event, event] });
    const rows = [row('old-1', 1, 'OPEN', 'PENDING', true), row('old-2', 1, 'FINALIZED', 'MATCHED', false)];
    await upsertLive(old, rows);

    const upgraded = await temp.dataSource(appMigrations);
    expect(sorted(await readCallCounts(upgraded))).toEqual([
      { status: 'FINALIZED', reconciliation_status: 'MATCHED', cdr_overdue: false, n: '1' },
      { status: 'OPEN', reconciliation_status: 'PENDING', cdr_overdue: true, n: '1' },
    ]);
    expect(await readCounts(upgraded, EVENT_TYPE_COUNTS)).toEqual([{ type: 'StatusRecorded', n: '2' }]);
  } finally {
    await temp.drop();
  }
});
