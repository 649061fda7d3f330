import { beforeEach, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { useTempDatabase } from '../../../../libs/event-store/src/testing/use-temp-database.js';
import { appMigrations } from '../database/database.module.js';
import { REJECTED_PUSH_TOTALS_SQL, RejectedPushStore, markReplayed, type RejectedPush, type RejectedPushTotals } from './rejected-push.store.js';
import { RejectedPushRetention, expireRejectedPushes } from './rejected-push.retention.js';

const DAY = 86_400_000;

const refused = (body: string, kind: 'status' | 'cdr' = 'status'): RejectedPush => ({
  kind,
  statusCode: 400,
  reason: 'INVALID_JSON: body is not JSON',
  violations: [],
  contentType: 'application/json',
  raw: Buffer.from(body),
});

/** A real Postgres with the app's migrations: rows kept by the store, aged by hand. */
describe('rejected-push retention', () => {
  const { db, ds } = useTempDatabase(appMigrations);
  const store = () => new RejectedPushStore(ds());
  const retention = (retentionMs: number | null) => new RejectedPushRetention(ds(), { rejectedPushRetentionMs: retentionMs });
  const lastSeenDaysAgo = (body: string, days: number) =>
    ds().query(`UPDATE rejected_pushes SET last_seen_at = now() - $2 * interval '1 day' WHERE raw_body = $1`, [body, days]);
  const keptBodies = async () =>
    ((await ds().query(`SELECT raw_body FROM rejected_pushes ORDER BY raw_body`)) as { raw_body: string }[]).map((r) => r.raw_body);
  const totals = async () => {
    const rows = (await ds().query(REJECTED_PUSH_TOTALS_SQL)) as RejectedPushTotals[];
    return Object.fromEntries(rows.map((r) => [r.kind, { n: Number(r.n), distinct: Number(r.distinct_bodies), replayed: Number(r.replayed), expired: Number(r.expired) }]));
  };

  const untilTheDeleteWaitsForALock = async () => {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
      const [row] = (await ds().query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%DELETE FROM rejected_pushes%'`,
      )) as { n: number }[];
      if (row!.n === 1) return;
    }
    throw new Error('the retention never waited for the retry\'s row lock');
  };

  beforeEach(async () => {
    await ds().query(`TRUNCATE rejected_pushes, rejected_push_expired_counts`);
  });

  test('deletes the rows not seen within the retention, keeps the rest, and the totals count them all', async () => {
    await store().keep(refused('{old'));
    await store().keep(refused('{old')); // the sender's retry: one row, count 2
    await store().keep(refused('{old-cdr', 'cdr'));
    await store().keep(refused('{recent'));
    await ds().query(`UPDATE rejected_pushes SET replayed_at = now() WHERE raw_body = '{old'`);
    await lastSeenDaysAgo('{old', 31);
    await lastSeenDaysAgo('{old-cdr', 40);
    await lastSeenDaysAgo('{recent', 29);
    const before = await totals();

    expect(await retention(30 * DAY).expire()).toBe(2);

    expect(await keptBodies()).toEqual(['{recent']);
    const after = await totals();
    expect(after).toEqual({
      status: { n: 3, distinct: 2, replayed: 1, expired: 2 },
      cdr: { n: 1, distinct: 1, replayed: 0, expired: 1 },
    });
    expect({ status: { ...after.status, expired: 0 }, cdr: { ...after.cdr, expired: 0 } }).toEqual(before);
  });

  test('a body sent again after its row expired is kept again, counted on top of the expired', async () => {
    await store().keep(refused('{again'));
    await lastSeenDaysAgo('{again', 10);
    expect(await retention(7 * DAY).expire()).toBe(1);
    await store().keep(refused('{again'));
    expect(await keptBodies()).toEqual(['{again']);
    expect((await totals()).status).toEqual({ n: 2, distinct: 2, replayed: 0, expired: 1 });
  });

  test('a backlog goes a page at a time, oldest first, until none is left', async () => {
    await ds().query(`
      INSERT INTO rejected_pushes (kind, status_code, reason, raw_body, body_bytes, body_sha256, last_seen_at)
      SELECT 'cdr', 400, 'r', 'b' || i, 2, sha256(('b' || i)::bytea), now() - interval '60 days' + i * interval '1 second'
        FROM generate_series(1, 2500) i`);
    expect(await expireRejectedPushes(ds(), 30 * DAY, 1000)).toBe(1000);
    const oldestLeft = (await ds().query(`SELECT min(substr(raw_body, 2)::int) AS i FROM rejected_pushes`)) as { i: number }[];
    expect(oldestLeft[0]!.i).toBe(1001);
    expect(await retention(30 * DAY).expire()).toBe(1500);
    expect(await keptBodies()).toEqual([]);
    expect((await totals()).cdr).toEqual({ n: 2500, distinct: 2500, replayed: 0, expired: 2500 });
  });

  test('a retry that refreshes an old row while the retention waits for its lock keeps the row', async () => {
    await store().keep(refused('{retried'));
    await lastSeenDaysAgo('{retried', 40);
    // the sender's retry, its upsert not yet committed when the retention comes
    const retry = new pg.Client({ connectionString: db().url });
    await retry.connect();
    try {
      await retry.query('BEGIN');
      await retry.query(`UPDATE rejected_pushes SET count = count + 1, last_seen_at = now() WHERE raw_body = '{retried'`);
      const expiring = retention(30 * DAY).expire();
      await untilTheDeleteWaitsForALock();
      await retry.query('COMMIT');
      expect(await expiring).toBe(0);
    } finally {
      await retry.end();
    }
    expect(await keptBodies()).toEqual(['{retried']);
    expect((await totals()).status).toEqual({ n: 2, distinct: 1, replayed: 0, expired: 0 });
  });

  test('a shutdown cancels a page under way: nothing waits for it, and what it would have deleted stays for the next start', async () => {
    await store().keep(refused('{held'));
    await lastSeenDaysAgo('{held', 40);
    // a page that cannot finish soon: a lock it needs is held (as a long page on a large table would take minutes)
    const holder = new pg.Client({ connectionString: db().url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM rejected_pushes WHERE raw_body = '{held' FOR UPDATE`);
      const task = retention(30 * DAY);
      const expiring = task.expire();
      await untilTheDeleteWaitsForALock();
      await task.onApplicationShutdown();
      const stillRunning = new Promise<string>((done) => setTimeout(() => done('still running'), 10_000).unref());
      expect(await Promise.race([expiring, stillRunning])).toBe(0);
      await holder.query('ROLLBACK');
    } finally {
      await holder.end();
    }
    expect(await keptBodies()).toEqual(['{held']);
  });

  test("a page that reads longer than the pool's time limits still runs: the retention sets its own", async () => {
    // the pool's limits scaled down (server 20 ms, client 40 ms: 1.5 s and 2 s in the service); reading 300,000 rows takes ~80 ms here
    // (no migrations through it: their own queries would run under those limits, and a busy machine
    // made one of them time out)
    const pooled = await db().dataSource(appMigrations, { options: { extra: { statement_timeout: 20, query_timeout: 40 } }, migrate: false });
    try {
      await ds().query(
        `INSERT INTO rejected_pushes (kind, status_code, reason, raw_body, body_bytes, body_sha256, last_seen_at)
         SELECT 'status', 400, 'INVALID_JSON: body is not JSON', g::text, 6, sha256(convert_to(g::text, 'UTF8')), now() - interval '31 days'
           FROM generate_series(1, 300000) g`,
      );
      // what a page reads, on the pool's own terms
      const pageRead = `SELECT id FROM rejected_pushes WHERE last_seen_at < now() - interval '30 days' ORDER BY last_seen_at LIMIT 1000`;
      await expect(pooled.query(pageRead)).rejects.toThrow(/timeout/);
      expect(await expireRejectedPushes(pooled, 30 * DAY)).toBe(1000);
    } finally {
      await pooled.destroy();
    }
  }, 30_000);

  test("a replay whose row the retention deleted after the replay read it is still counted as replayed, once", async () => {
    await store().keep(refused('{replayed-while-expiring'));
    await store().keep(refused('{replayed-before'));
    const idOf = async (body: string) =>
      ((await ds().query(`SELECT id::text AS id FROM rejected_pushes WHERE raw_body = $1`, [body])) as { id: string }[])[0]!.id;
    const expiring = await idOf('{replayed-while-expiring');
    const before = await idOf('{replayed-before');
    await markReplayed(ds(), before, 'status', false); // replayed while kept: the row says so
    await lastSeenDaysAgo('{replayed-while-expiring', 31);
    await lastSeenDaysAgo('{replayed-before', 31);
    expect(await retention(30 * DAY).expire()).toBe(2); // the expired counts hold one replayed row
    expect((await totals()).status).toMatchObject({ replayed: 1 });

    await markReplayed(ds(), expiring, 'status', false); // the replay read the row before it went
    await markReplayed(ds(), before, 'status', true); // replayed again: counted already
    expect((await totals()).status).toMatchObject({ n: 2, distinct: 2, replayed: 2, expired: 2 });
  });

  test('off (null): nothing is deleted and no timer runs', async () => {
    await store().keep(refused('{ancient'));
    await lastSeenDaysAgo('{ancient', 3650);
    const off = retention(null);
    expect(off.intervalMs).toBeNull();
    expect(await off.expire()).toBe(0);
    expect(await keptBodies()).toEqual(['{ancient']);
  });

  test('runs every quarter of the retention, and at least every 10 minutes', () => {
    expect(retention(30 * DAY).intervalMs).toBe(600_000);
    expect(retention(8 * 60_000).intervalMs).toBe(120_000);
  });
});
