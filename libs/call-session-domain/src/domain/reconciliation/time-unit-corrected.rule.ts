import type { ReconciliationRule } from './reconciliation-rule.js';
import { allNotes } from './reconciliation-rule.js';

/** TIME_UNIT_CORRECTED (info): ingestion normalised a time sent in the wrong unit (from the push notes). */
export const timeUnitCorrectedRule: ReconciliationRule = {
  code: 'TIME_UNIT_CORRECTED',
  severity: 'info',
  check: (ctx) =>
    allNotes(ctx)
      .filter((n) => n.code === 'TIME_UNIT_CORRECTED')
      .map((n) => ({
        code: 'TIME_UNIT_CORRECTED',
        severity: 'info' as const,
        message: `${n.field} was sent in the wrong unit and normalised`,
        expected: n.expected,
        actual: n.actual,
      })),
};
