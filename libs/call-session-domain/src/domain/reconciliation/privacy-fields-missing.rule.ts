import type { ReconciliationRule } from './reconciliation-rule.js';
import { present } from './reconciliation-rule.js';

/** PRIVACY_FIELDS_MISSING (warning): a serviceType 200 CDR without phoneNoX (statuses are not judged). */
export const privacyFieldsMissingRule: ReconciliationRule = {
  code: 'PRIVACY_FIELDS_MISSING',
  severity: 'warning',
  check: (ctx) =>
    ctx.cdrs
      .filter((cdr) => cdr.serviceType === 200 && !present(cdr.phoneNoX))
      .map(() => ({
        code: 'PRIVACY_FIELDS_MISSING',
        severity: 'warning' as const,
        message: 'privacy-number CDR (serviceType 200) without phoneNoX',
        expected: 'phoneNoX',
        actual: null,
      })),
};
