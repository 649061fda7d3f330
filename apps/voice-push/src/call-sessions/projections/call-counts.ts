import { readCounts, type CounterTables, type SqlExecutor } from '#event-store';

/** Sessions by (status, reconciliation_status, cdr_overdue), kept by triggers on `calls` (migration CountCalls). */
export const CALL_COUNTS: CounterTables = Object.freeze({
  totals: 'call_counts',
  changes: 'call_count_changes',
  keys: ['status', 'reconciliation_status', 'cdr_overdue'],
});

export interface CallCount {
  status: string;
  reconciliation_status: string;
  cdr_overdue: boolean;
  /** a bigint, as text */
  n: string;
}

/** The sessions by key, exact as of the query's snapshot; read from two small tables, not from `calls`. */
export function readCallCounts(db: SqlExecutor): Promise<CallCount[]> {
  return readCounts<Omit<CallCount, 'n'>>(db, CALL_COUNTS);
}
