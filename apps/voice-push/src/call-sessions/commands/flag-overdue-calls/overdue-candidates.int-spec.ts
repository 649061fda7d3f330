import { randomUUID } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { useTempDatabase } from '../../../../../../libs/event-store/src/testing/use-temp-database.js';
import { appMigrations } from '../../../database/database.module.js';
import { overdueCandidates } from './overdue-candidates.query.js';

const CUTOFF = new Date('2025-03-01T10:00:00Z');
const minutes = (n: number) => new Date(CUTOFF.getTime() + n * 60_000);

describe('overdueCandidates (real Postgres, the app migrations)', () => {
  const { ds } = useTempDatabase(appMigrations);

  async function call(row: { openedAt: Date; lastPushAt: Date; status?: string; overdue?: boolean }): Promise<string> {
    const id = `call-${randomUUID()}`;
    await ds().query(
      `INSERT INTO calls (call_id, status, reconciliation_status, cdr_overdue, version, opened_at, last_push_at, view)
       VALUES ($1, $2, 'PENDING', $3, 1, $4, $5, '{}')`,
      [id, row.status ?? 'OPEN', row.overdue ?? false, row.openedAt.toISOString(), row.lastPushAt.toISOString()],
    );
    return id;
  }

  test('open, unflagged calls whose last push is at or before the cutoff, oldest opened first', async () => {
    const silentLong = await call({ openedAt: minutes(-90), lastPushAt: minutes(-60) });
    const silentAtCutoff = await call({ openedAt: minutes(-5), lastPushAt: CUTOFF });
    const stillPushing = await call({ openedAt: minutes(-90), lastPushAt: minutes(1) }); // opened long ago, pushed since
    const recent = await call({ openedAt: minutes(1), lastPushAt: minutes(2) });
    const finalised = await call({ openedAt: minutes(-90), lastPushAt: minutes(-60), status: 'FINALIZED' });
    const flaggedAlready = await call({ openedAt: minutes(-90), lastPushAt: minutes(-60), overdue: true });

    const found = await overdueCandidates(ds(), CUTOFF, 100);

    expect(found).toEqual([silentLong, silentAtCutoff]);
    for (const skipped of [stillPushing, recent, finalised, flaggedAlready]) expect(found).not.toContain(skipped);
  });

  test('the limit counts candidates, not the open calls read past on the way', async () => {
    await ds().query(`DELETE FROM calls`);
    for (let i = 0; i < 5; i++) await call({ openedAt: minutes(-100 + i), lastPushAt: minutes(1) });
    const due = await call({ openedAt: minutes(-50), lastPushAt: minutes(-40) });

    expect(await overdueCandidates(ds(), CUTOFF, 1)).toEqual([due]);
  });
});
