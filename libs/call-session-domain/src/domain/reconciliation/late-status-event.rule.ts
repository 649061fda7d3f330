import { eventType, enumName } from '../../../../contracts/src/enumerations.js';
import type { ReconciliationRule } from './reconciliation-rule.js';

/** LATE_STATUS_EVENT (info): a status came after the call was finalised (arrival-order dependent by nature). */
export const lateStatusEventRule: ReconciliationRule = {
  code: 'LATE_STATUS_EVENT',
  severity: 'info',
  check: (ctx) =>
    ctx.statuses
      .filter((s) => s.late)
      .map((s) => ({
        code: 'LATE_STATUS_EVENT',
        severity: 'info' as const,
        message: `status ${enumName(eventType, s.push.eventType) ?? s.push.eventType}${
          s.push.party === null ? '' : ` (party ${s.push.party})`
        } came after the call was finalised`,
        actual: { eventType: s.push.eventType, party: s.push.party, eventTime: s.push.eventTime },
      })),
};
