import type { ReconciliationRule } from './reconciliation-rule.js';

const FIELDS = ['beginCallTime', 'ringTime', 'startTime', 'endTime'] as const;

/** TIME_ORDER_INVALID (error): CDR times not ordered beginCallTime ≤ ringTime ≤ startTime ≤ endTime (zeros skipped). Applies to SMS records too. */
export const timeOrderInvalidRule: ReconciliationRule = {
  code: 'TIME_ORDER_INVALID',
  severity: 'error',
  check: (ctx) =>
    ctx.cdrs.flatMap((cdr) => {
      const set = FIELDS.filter((f) => cdr[f] !== 0);
      const broken: string[] = [];
      for (let i = 1; i < set.length; i++) {
        const prev = set[i - 1]!;
        const cur = set[i]!;
        if (cdr[prev] > cdr[cur]) broken.push(`${prev} > ${cur}`);
      }
      if (broken.length === 0) return [];
      return [
        {
          code: 'TIME_ORDER_INVALID',
          severity: 'error' as const,
          message: `CDR times out of order: ${broken.join(', ')}`,
          expected: 'beginCallTime ≤ ringTime ≤ startTime ≤ endTime',
          actual: {
            beginCallTime: cdr.beginCallTime,
            ringTime: cdr.ringTime,
            startTime: cdr.startTime,
            endTime: cdr.endTime,
          },
        },
      ];
    }),
};
