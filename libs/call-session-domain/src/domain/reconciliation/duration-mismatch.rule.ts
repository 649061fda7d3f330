import type { CdrPush } from '../push.js';
import type { ReconciliationRule } from './reconciliation-rule.js';
import { callRecords } from './reconciliation-rule.js';

/** DURATION_MISMATCH (error): callDuration vs (endTime − startTime)/1000, or vs 0 when unanswered; 1 s tolerance. */
export const durationMismatchRule: ReconciliationRule = {
  code: 'DURATION_MISMATCH',
  severity: 'error',
  check: (ctx) =>
    callRecords(ctx).flatMap((cdr) => {
      const found = mismatchOf(cdr);
      return found ? [{ code: 'DURATION_MISMATCH', severity: 'error' as const, ...found, actual: cdr.callDuration }] : [];
    }),
};

/** What callDuration should have been, and how it is off; null when it is within 1 s. */
function mismatchOf(cdr: CdrPush): { message: string; expected: number | null } | null {
  if (cdr.startTime === 0) {
    if (Math.abs(cdr.callDuration) <= 1) return null;
    return { message: `callDuration ${cdr.callDuration} s of an unanswered call (startTime 0) is not 0`, expected: 0 };
  }
  // Its end did not happen (contract §1: a time of 0), so there is no duration to check against:
  // the formula's would be minus the start, ~−1.6e9 s.
  if (cdr.endTime === 0) {
    return {
      message: `callDuration ${cdr.callDuration} s cannot be checked: an answered call (startTime ${cdr.startTime}) with endTime 0 (its end did not happen)`,
      expected: null,
    };
  }
  const expected = (cdr.endTime - cdr.startTime) / 1000;
  if (Math.abs(cdr.callDuration - expected) <= 1) return null;
  return { message: `callDuration ${cdr.callDuration} s differs by more than 1 s from (endTime − startTime) = ${expected} s`, expected };
}
