import type { ReconciliationRule } from './reconciliation-rule.js';
import { authoritativeVersion } from '../call-session.state.js';

/** CDR_REVISED (warning): more than one distinct content came for a CDR key; the later cdrCreateTime is authoritative. */
export const cdrRevisedRule: ReconciliationRule = {
  code: 'CDR_REVISED',
  severity: 'warning',
  check: (ctx) =>
    ctx.cdrFacts
      .filter((f) => f.versions.length > 1)
      .map((f) => ({
        code: 'CDR_REVISED',
        severity: 'warning' as const,
        message: `${f.versions.length} different CDRs came for cdrType ${f.cdrType}; the one with the latest cdrCreateTime is authoritative`,
        expected: authoritativeVersion(f).push.cdrCreateTime,
        actual: f.versions.map((v) => v.push.cdrCreateTime ?? 0).sort((a, b) => a - b),
      })),
};
