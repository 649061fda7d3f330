import { afterEach, describe, expect, test } from '@jest/globals';
import type { SqlExecutor } from '#event-store';
import { useTempDatabase } from '../../../../../libs/event-store/src/testing/use-temp-database.js';
import { appMigrations } from '../../database/database.module.js';
import { callEventLogHolds } from '../../outbox-relay/call-event-log.js';
import { LOG_HOLD_LEASE_MS, LogHold } from './log-hold.js';

describe('a republish\'s hold on the log, renewed as it runs (real Postgres)', () => {
  const { ds } = useTempDatabase(appMigrations, { poolSize: 2 });
  const sql: SqlExecutor = { query: (text, params) => ds().query(text, params) };
  let clock = 1_000_000;
  const now = (): number => clock;

  /** seconds the row still holds for, as Postgres sees it (negative: lapsed) */
  async function heldFor(name: string): Promise<number> {
    const [row] = (await ds().query(`SELECT extract(epoch FROM held_until - now())::float8 AS s FROM relay_holds WHERE name = $1`, [name])) as { s: number }[];
    return row?.s ?? Number.NaN;
  }

  afterEach(async () => {
    await ds().query(`DELETE FROM relay_holds`);
  });

  test('renewed once a third of the lease has passed, not before, and without a warning', async () => {
    const warnings: string[] = [];
    const hold = new LogHold(sql, 'republish a', (line) => warnings.push(line), now);
    await hold.take();
    await ds().query(`UPDATE relay_holds SET held_until = now() + interval '5 seconds'`); // a lease well into its run

    clock += LOG_HOLD_LEASE_MS / 3 - 1;
    await hold.renewIfDue();
    expect(await heldFor('republish a')).toBeLessThan(6); // not due: left as it was

    clock += 1;
    await hold.renewIfDue();
    expect(await heldFor('republish a')).toBeGreaterThan(LOG_HOLD_LEASE_MS / 1000 - 5); // a whole lease again
    expect(warnings).toEqual([]);
  });

  test('a lease that lapsed while a batch stalled is said, and the log is held again', async () => {
    const warnings: string[] = [];
    const hold = new LogHold(sql, 'republish b', (line) => warnings.push(line), now);
    await hold.take();
    await ds().query(`UPDATE relay_holds SET held_until = now() - interval '1 second'`); // the lease ran out
    expect(await callEventLogHolds(sql)).toEqual([]); // the relay no longer waits

    clock += 45_000; // the stalled batch
    await hold.renewIfDue();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('lapsed (45 s since it was renewed)');
    expect(await callEventLogHolds(sql)).toEqual(['republish b']);
    expect(await heldFor('republish b')).toBeGreaterThan(LOG_HOLD_LEASE_MS / 1000 - 5);

    // renewed again later without another warning: the lapse was said once
    clock += LOG_HOLD_LEASE_MS / 3;
    await hold.renewIfDue();
    expect(warnings).toHaveLength(1);
  });

  test('a hold whose row another job cleared (its lease lapsed) is taken again', async () => {
    const warnings: string[] = [];
    const hold = new LogHold(sql, 'republish c', (line) => warnings.push(line), now);
    await hold.take();
    await ds().query(`UPDATE relay_holds SET held_until = now() - interval '1 second'`);
    await new LogHold(sql, 'republish d', () => undefined, now).take(); // deletes the lapsed row

    clock += LOG_HOLD_LEASE_MS / 3;
    await hold.renewIfDue();
    expect(warnings).toHaveLength(1);
    expect(await callEventLogHolds(sql)).toEqual(['republish d', 'republish c']);
  });

  test('release deletes its own row only', async () => {
    const c = new LogHold(sql, 'republish e', () => undefined, now);
    const d = new LogHold(sql, 'republish f', () => undefined, now);
    await c.take();
    await d.take();
    await c.release();
    expect(await callEventLogHolds(sql)).toEqual(['republish f']);
  });
});
