import type { ReconciliationRule } from './reconciliation-rule.js';
import { distinctSorted, present } from './reconciliation-rule.js';

/**
 * PRIVACY_FIELDS_IGNORED (info): serviceType 100 carrying privacy fields (spec §6.1: they mean
 * nothing there). Looks at the authoritative CDRs and at the statuses (a status without
 * serviceType takes the CDR's).
 */
export const privacyFieldsIgnoredRule: ReconciliationRule = {
  code: 'PRIVACY_FIELDS_IGNORED',
  severity: 'info',
  check: (ctx) => {
    const fields: string[] = [];
    for (const cdr of ctx.cdrs) {
      if (cdr.serviceType !== 100) continue;
      for (const f of ['phoneNoX', 'phoneNoA', 'phoneNoB'] as const) if (present(cdr[f])) fields.push(`cdr.${f}`);
      if (cdr.secretCallType !== null) fields.push('cdr.secretCallType');
      if (cdr.callDisplayType !== null && cdr.callDisplayType !== undefined) fields.push('cdr.callDisplayType');
    }
    const fallback = ctx.primaryCdr?.serviceType ?? null;
    for (const s of ctx.statuses) {
      if ((s.push.serviceType ?? fallback) !== 100) continue;
      for (const f of ['phoneNoX', 'phoneNoA', 'phoneNoB'] as const) if (present(s.push[f])) fields.push(`status.${f}`);
    }
    if (fields.length === 0) return [];
    const actual = distinctSorted(fields);
    return [
      {
        code: 'PRIVACY_FIELDS_IGNORED',
        severity: 'info' as const,
        message: `serviceType 100 carries privacy fields, ignored: ${actual.join(', ')}`,
        actual,
      },
    ];
  },
};
