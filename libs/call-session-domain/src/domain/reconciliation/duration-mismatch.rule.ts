import type { Finding } from '../finding.js';
import type { ReconciliationRule } from './reconciliation-rule.js';
import { callRecords } from './reconciliation-rule.js';

/**
 * DURATION_MISMATCH (error): callDuration vs (endTime − startTime)/1000, or vs 0 when unanswered; 1 s tolerance.
 * An answered call whose CDR says its end did not happen (endTime 0) has no duration to check it
 * against: the finding says so, with no expected value (the formula's would be minus the start, ~−1.6e9 s).
 */
export const durationMismatchRule: ReconciliationRule = {
  code: 'DURATION_MISMATCH',
  severity: 'error',
  check: (ctx) =>
    callRecords(ctx).flatMap((cdr): Finding[] => {
      const answered = cdr.startTime !== 0;
      if (answered && cdr.endTime === 0) {
        return [
          {
            code: 'DURATION_MISMATCH',
            severity: 'error',
            message: `callDuration ${cdr.callDuration} s cannot be checked: an answered call (startTime ${cdr.startTime}) with endTime 0 (its end did not happen)`,
            expected: null,
            actual: cdr.callDuration,
          },
        ];
      }
      const expected = answered ? (cdr.endTime - cdr.startTime) / 1000 : 0;
      if (Math.abs(cdr.callDuration - expected) <= 1) return [];
      return [
        {
          code: 'DURATION_MISMATCH',
          severity: 'error',
          message: answered
            ? `callDuration ${cdr.callDuration} s differs by more than 1 s from (endTime − startTime) = ${expected} s`
            : `callDuration ${cdr.callDuration} s of an unanswered call (startTime 0) is not 0`,
          expected,
          actual: cdr.callDuration,
        },
      ];
    }),
};
