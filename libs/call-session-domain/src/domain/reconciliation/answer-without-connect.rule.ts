import type { ReconciliationRule } from './reconciliation-rule.js';
import { callRecords, observed } from './reconciliation-rule.js';

/** ANSWER_WITHOUT_CONNECT (error): an ANSWERED status exists but callResult ≠ 1 (a CDR without callResult is not judged). */
export const answerWithoutConnectRule: ReconciliationRule = {
  code: 'ANSWER_WITHOUT_CONNECT',
  severity: 'error',
  check: (ctx) => {
    if (observed(ctx, 3).length === 0) return [];
    return callRecords(ctx)
      .filter((cdr) => cdr.callResult !== null && cdr.callResult !== 1)
      .map((cdr) => ({
        code: 'ANSWER_WITHOUT_CONNECT',
        severity: 'error' as const,
        message: `an ANSWERED status came but the CDR's callResult is ${cdr.callResult}, not 1`,
        expected: 1,
        actual: cdr.callResult,
      }));
  },
};
