import type { ReconciliationRule } from './reconciliation-rule.js';
import { callRecords } from './reconciliation-rule.js';

/** DURATION_MISMATCH (error): callDuration vs (endTime − startTime)/1000, or vs 0 when unanswered; 1 s tolerance. */
export const durationMismatchRule: ReconciliationRule = {
  code: 'DURATION_MISMATCH',
  severity: 'error',
  check: (ctx) =>
    callRecords(ctx).flatMap((cdr) => {
      const answered = cdr.startTime !== 0;
      const expected = answered ? (cdr.endTime - cdr.startTime) / 1000 : 0;
      if (Math.abs(cdr.callDuration - expected) <= 1) return [];
      return [
        {
          code: 'DURATION_MISMATCH',
          severity: 'error' as const,
          message: answered
            ? `callDuration ${cdr.callDuration} s differs by more than 1 s from (endTime − startTime) = ${expected} s`
            : `callDuration ${cdr.callDuration} s of an unanswered call (startTime 0) is not 0`,
          expected,
          actual: cdr.callDuration,
        },
      ];
    }),
};
