import type { ReconciliationRule } from './reconciliation-rule.js';
import { callRecords, expectedEventTypes, observed } from './reconciliation-rule.js';

/** HANGUP_NOT_OBSERVED (warning): statuses came, HUNG_UP is in allEventType but never came (call records only). */
export const hangupNotObservedRule: ReconciliationRule = {
  code: 'HANGUP_NOT_OBSERVED',
  severity: 'warning',
  check: (ctx) => {
    if (ctx.statuses.length === 0 || callRecords(ctx).length === 0) return [];
    if (!expectedEventTypes(ctx).includes(4) || observed(ctx, 4).length > 0) return [];
    return [
      {
        code: 'HANGUP_NOT_OBSERVED',
        severity: 'warning' as const,
        message: 'no HUNG_UP status came',
        expected: 4,
        actual: [...new Set(ctx.statuses.map((s) => s.push.eventType))].sort((a, b) => a - b),
      },
    ];
  },
};
