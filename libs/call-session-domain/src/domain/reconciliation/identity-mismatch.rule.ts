import type { Finding } from '../finding.js';
import type { ReconciliationRule } from './reconciliation-rule.js';
import { distinctSorted, present } from './reconciliation-rule.js';

/**
 * IDENTITY_MISMATCH (error): accountId differs between the CDR and the statuses; caller / callee
 * too, but only for serviceType 100 (privacy statuses may carry masked numbers). A status without
 * caller / callee is not compared.
 */
export const identityMismatchRule: ReconciliationRule = {
  code: 'IDENTITY_MISMATCH',
  severity: 'error',
  check: (ctx) => {
    if (ctx.statuses.length === 0) return [];
    const findings: Finding[] = [];
    for (const cdr of ctx.cdrs) {
      const fields = cdr.serviceType === 100 ? (['accountId', 'caller', 'callee'] as const) : (['accountId'] as const);
      for (const field of fields) {
        const expected = cdr[field];
        if (!present(expected)) continue;
        const others = distinctSorted(
          ctx.statuses.map((s) => s.push[field]).filter((v): v is string => present(v) && v !== expected),
        );
        if (others.length === 0) continue;
        findings.push({
          code: 'IDENTITY_MISMATCH',
          severity: 'error',
          message: `${field} of the CDR (${expected}) differs from the statuses' (${others.join(', ')})`,
          expected,
          actual: others.length === 1 ? others[0] : others,
        });
      }
    }
    return findings;
  },
};
