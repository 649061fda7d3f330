import type { ReconciliationRule } from './reconciliation-rule.js';
import { callRecords, expectedEventTypes, observed } from './reconciliation-rule.js';

/** ANSWER_NOT_OBSERVED (warning): statuses came, callResult = 1, ANSWERED is in allEventType, but never came. */
export const answerNotObservedRule: ReconciliationRule = {
  code: 'ANSWER_NOT_OBSERVED',
  severity: 'warning',
  check: (ctx) => {
    if (ctx.statuses.length === 0) return [];
    if (!expectedEventTypes(ctx).includes(3) || observed(ctx, 3).length > 0) return [];
    return callRecords(ctx)
      .filter((cdr) => cdr.callResult === 1)
      .map(() => ({
        code: 'ANSWER_NOT_OBSERVED',
        severity: 'warning' as const,
        message: 'the CDR says answered (callResult 1) but no ANSWERED status came',
        expected: 3,
        actual: [...new Set(ctx.statuses.map((s) => s.push.eventType))].sort((a, b) => a - b),
      }));
  },
};
