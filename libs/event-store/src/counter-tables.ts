import type { SqlExecutor } from './event-store.port.js';

/**
 * A count kept by its writers, so that reading it does not scan the table it counts (a `GROUP BY`
 * over `events` or `calls` outlasts the statement timeout once they hold millions of rows).
 *
 * Writers only ever INSERT into `changes` (+n / -n per key), never update a shared row: two
 * concurrent commits that counted the same key would otherwise queue on that row's lock until
 * the first commits. `fold` moves the changes into `totals` now and then. A read sums both
 * tables, so it is exact as of its snapshot whether or not a fold has run.
 */
export interface CounterTables {
  /** one row per key: the key columns and `n` */
  totals: string;
  /** rows of the key columns and `n`, added by the writers, removed by `fold` */
  changes: string;
  /** the key columns, the same in both tables */
  keys: readonly string[];
}

/** Both tables' rows as one: the key columns and `n` (a subquery's text). */
export function countRowsSql(t: CounterTables): string {
  const columns = [...t.keys, 'n'].join(', ');
  return `SELECT ${columns} FROM ${t.totals} UNION ALL SELECT ${columns} FROM ${t.changes}`;
}

/** The counts by key (the key columns and `n`, a bigint as text); keys whose count is 0 are left out. */
export function readCounts<T>(db: SqlExecutor, t: CounterTables): Promise<(T & { n: string })[]> {
  const keys = t.keys.join(', ');
  return db.query(`SELECT ${keys}, sum(n)::text AS n FROM (${countRowsSql(t)}) c GROUP BY ${keys} HAVING sum(n) <> 0`);
}

/** A scalar subquery: the count over all keys (a bigint, 0 when none), for use inside a larger query. */
export function totalCountSql(t: CounterTables): string {
  return `(SELECT coalesce(sum(n), 0) FROM (${countRowsSql(t)}) c)`;
}

/**
 * Moves the changes into the totals in one statement. Safe beside writers (their uncommitted
 * changes are not seen, and go with a later fold) and beside another fold (the second waits on
 * the rows the first deletes, then skips them).
 */
export async function foldCounts(db: SqlExecutor, t: CounterTables): Promise<void> {
  const keys = t.keys.join(', ');
  await db.query(
    `WITH moved AS (DELETE FROM ${t.changes} RETURNING ${keys}, n)
     INSERT INTO ${t.totals} (${keys}, n)
     SELECT ${keys}, sum(n) FROM moved GROUP BY ${keys}
     ON CONFLICT (${keys}) DO UPDATE SET n = ${t.totals}.n + EXCLUDED.n`,
  );
}

/** Events by type, counted by a trigger on `events` (migration CountEventTypes). */
export const EVENT_TYPE_COUNTS: CounterTables = Object.freeze({
  totals: 'event_type_counts',
  changes: 'event_type_count_changes',
  keys: ['type'],
});

/** Outbox rows by topic, counted by triggers on `outbox` (migration CountOutboxRows). */
export const OUTBOX_COUNTS: CounterTables = Object.freeze({
  totals: 'outbox_counts',
  changes: 'outbox_count_changes',
  keys: ['topic'],
});
