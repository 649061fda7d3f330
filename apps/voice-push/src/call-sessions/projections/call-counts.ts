import { CALL_SESSION_STATUSES, RECONCILIATION_STATUSES } from '#call-session-domain';
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

/** The sessions summed for a reader: every known status present (0 when none), unknown ones too. */
export interface SessionTotals {
  total: number;
  byStatus: Record<string, number>;
  byReconciliation: Record<string, number>;
  /** open sessions flagged CDR_OVERDUE: still waiting for their CDR past the limit */
  overdue: number;
}

export function sessionTotals(rows: CallCount[]): SessionTotals {
  const totals: SessionTotals = {
    total: 0,
    byStatus: Object.fromEntries(CALL_SESSION_STATUSES.map((s) => [s, 0])),
    byReconciliation: Object.fromEntries(RECONCILIATION_STATUSES.map((s) => [s, 0])),
    overdue: 0,
  };
  for (const row of rows) {
    const n = Number(row.n);
    totals.total += n;
    totals.byStatus[row.status] = (totals.byStatus[row.status] ?? 0) + n;
    totals.byReconciliation[row.reconciliation_status] = (totals.byReconciliation[row.reconciliation_status] ?? 0) + n;
    // a call force-finalised without its CDR keeps the flag in its view (its CDR was overdue), but
    // waits for nothing: counted, the gauge would stay up after the admin action meant to clear it
    if (row.cdr_overdue && row.status === 'OPEN') totals.overdue += n;
  }
  return totals;
}
