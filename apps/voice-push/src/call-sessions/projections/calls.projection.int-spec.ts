import { describe, expect, test } from '@jest/globals';
import { useTempDatabase } from '../../../../../libs/event-store/src/testing/use-temp-database.js';
import { appMigrations } from '../../database/database.module.js';
import { callRowsWithAppend, type CallRow } from './calls.projection.js';

function row(version: number, lastPushAt: string, status = 'OPEN'): CallRow {
  return {
    call_id: 'call-hot',
    account_id: 'acc-1',
    status,
    reconciliation_status: 'PENDING',
    call_result: null,
    cdr_overdue: false,
    version,
    opened_at: '2025-03-01T10:00:00.000Z',
    last_push_at: lastPushAt,
    finalized_at: null,
    view: { callId: 'call-hot', version, callState: ['INITIATED', 'RINGING', 'ANSWERED'][version - 1] ?? 'ENDED' },
  };
}

describe('the calls read model on the push path (real Postgres, the app migrations)', () => {
  const { ds } = useTempDatabase(appMigrations);

  /** Runs the append's own upsert of `calls` and counts, inside that transaction, how the row was updated. */
  async function upsert(rows: CallRow[]): Promise<{ updated: number; inPlace: number }> {
    // the statement the event store runs beside the append; its rows are `$3` there
    const sql = callRowsWithAppend(rows).sql.replace('$3::jsonb', '$1::jsonb');
    return ds().transaction(async (tx) => {
      // this backend's counts include earlier transactions not yet flushed to the statistics: take a difference
      const counts = async () =>
        ((await tx.query(
          `SELECT n_tup_upd::int AS updated, n_tup_hot_upd::int AS "inPlace" FROM pg_stat_xact_user_tables WHERE relname = 'calls'`,
        )) as Array<{ updated: number; inPlace: number }>)[0]!;
      const before = await counts();
      await tx.query(sql, [JSON.stringify(rows)]);
      const after = await counts();
      return { updated: after.updated - before.updated, inPlace: after.inPlace - before.inPlace };
    });
  }

  test('a status push updates its row in place: no indexed column changes, so no index grows', async () => {
    await upsert([row(1, '2025-03-01T10:00:00.000Z')]);

    expect(await upsert([row(2, '2025-03-01T10:00:05.000Z')])).toEqual({ updated: 1, inPlace: 1 });
    expect(await upsert([row(3, '2025-03-01T10:00:09.000Z')])).toEqual({ updated: 1, inPlace: 1 });
  });

  test('the control: a push that moves an indexed column (status) is not an in-place update', async () => {
    expect(await upsert([row(4, '2025-03-01T10:01:00.000Z', 'FINALIZED')])).toEqual({ updated: 1, inPlace: 0 });
  });

  test('an older version never overwrites a newer one', async () => {
    expect(await upsert([row(2, '2025-03-01T10:00:05.000Z')])).toEqual({ updated: 0, inPlace: 0 });
    const [stored] = (await ds().query(`SELECT version, status FROM calls WHERE call_id = 'call-hot'`)) as Array<{ version: number }>;
    expect(stored).toEqual({ version: 4, status: 'FINALIZED' });
  });
});
