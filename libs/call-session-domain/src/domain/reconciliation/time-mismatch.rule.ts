import type { Finding } from '../finding.js';
import type { ReconciliationRule } from './reconciliation-rule.js';
import { callRecords, observed } from './reconciliation-rule.js';

const PAIRS = [
  ['beginCallTime', 1, 'INITIATED'],
  ['ringTime', 2, 'RINGING'],
  ['startTime', 3, 'ANSWERED'],
  ['endTime', 4, 'HUNG_UP'],
] as const;

export const TIME_MISMATCH_TOLERANCE_MS = 2000;

/**
 * TIME_MISMATCH (warning): a CDR time and its status's eventTime differ by more than 2 s (zeros
 * skipped). With several statuses of the same type (two legs), the closest one is compared.
 */
export const timeMismatchRule: ReconciliationRule = {
  code: 'TIME_MISMATCH',
  severity: 'warning',
  check: (ctx) => {
    const findings: Finding[] = [];
    for (const cdr of callRecords(ctx)) {
      for (const [field, eventType, name] of PAIRS) {
        const t = cdr[field];
        if (t === 0) continue;
        const times = observed(ctx, eventType).map((s) => s.push.eventTime);
        if (times.length === 0) continue;
        const closest = Math.min(...times.map((e) => Math.abs(e - t)));
        if (closest <= TIME_MISMATCH_TOLERANCE_MS) continue;
        findings.push({
          code: 'TIME_MISMATCH',
          severity: 'warning',
          message: `${field} differs by ${closest / 1000} s from the ${name} status's eventTime`,
          expected: t,
          actual: times.length === 1 ? times[0] : times,
        });
      }
    }
    return findings;
  },
};
