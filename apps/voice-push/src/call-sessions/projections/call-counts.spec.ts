import { describe, expect, test } from '@jest/globals';
import { sessionTotals } from './call-counts.js';

describe('sessionTotals', () => {
  test('sums the kept counts by status, by reconciliation and overdue; known statuses present at 0', () => {
    const totals = sessionTotals([
      { status: 'OPEN', reconciliation_status: 'PENDING', cdr_overdue: true, n: '2' },
      { status: 'OPEN', reconciliation_status: 'PENDING', cdr_overdue: false, n: '3' },
      { status: 'FINALIZED', reconciliation_status: 'MATCHED', cdr_overdue: false, n: '10' },
    ]);
    expect(totals).toEqual({
      total: 15,
      byStatus: { OPEN: 5, FINALIZED: 10, FINALIZED_WITHOUT_CDR: 0 },
      byReconciliation: { PENDING: 5, MATCHED: 10, WARNINGS: 0, DISCREPANCY: 0, CDR_ONLY: 0 },
      overdue: 2,
    });
  });

  test('overdue counts open calls only: a call force-finalised without its CDR keeps its flag but waits for nothing', () => {
    const totals = sessionTotals([
      { status: 'OPEN', reconciliation_status: 'PENDING', cdr_overdue: true, n: '2' },
      { status: 'FINALIZED_WITHOUT_CDR', reconciliation_status: 'PENDING', cdr_overdue: true, n: '4' },
    ]);
    expect(totals.overdue).toBe(2);
    expect(totals.byStatus.FINALIZED_WITHOUT_CDR).toBe(4);
  });

  test('a status it does not know is counted under its own name, not dropped', () => {
    const totals = sessionTotals([{ status: 'ARCHIVED', reconciliation_status: 'REVIEWED', cdr_overdue: false, n: '1' }]);
    expect(totals.byStatus.ARCHIVED).toBe(1);
    expect(totals.byReconciliation.REVIEWED).toBe(1);
    expect(totals.total).toBe(1);
  });
});
