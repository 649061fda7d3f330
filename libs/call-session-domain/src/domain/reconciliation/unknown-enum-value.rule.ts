import {
  audioRecordFlag,
  callDisplayType,
  callResultTableFor,
  cdrType,
  eventType,
  party,
  releaseType,
  secretCallType,
  serviceType,
  subServiceType,
  isKnown,
  type EnumTable,
} from '../../../../contracts/src/enumerations.js';
import type { Finding } from '../finding.js';
import type { ReconciliationRule } from './reconciliation-rule.js';
import { allNotes } from './reconciliation-rule.js';
import { compareStrings, stableJson } from '../canonical.js';

/**
 * UNKNOWN_ENUM_VALUE (info): an enumeration code outside the known lists, from the push notes of
 * ingestion and from the domain's own check of every status and CDR content; one finding per
 * (field, value).
 */
export const unknownEnumValueRule: ReconciliationRule = {
  code: 'UNKNOWN_ENUM_VALUE',
  severity: 'info',
  check: (ctx) => {
    const seen = new Map<string, Finding>();
    const flag = (field: string, value: unknown) => {
      const key = stableJson([field, value]);
      if (seen.has(key)) return;
      seen.set(key, {
        code: 'UNKNOWN_ENUM_VALUE',
        severity: 'info',
        message: `${field} ${JSON.stringify(value)} is not a known value`,
        actual: value,
      });
    };
    const check = (field: string, table: EnumTable, value: number | null | undefined) => {
      if (value !== null && value !== undefined && !isKnown(table, value)) flag(field, value);
    };
    for (const n of allNotes(ctx)) if (n.code === 'UNKNOWN_ENUM_VALUE') flag(n.field, n.actual);
    for (const s of ctx.statuses) {
      check('eventType', eventType, s.push.eventType);
      check('party', party, s.push.party);
      check('serviceType', serviceType, s.push.serviceType);
      // a status stored before ingestion noted these codes has no note for them
      for (const code of s.push.allEventType ?? []) check('allEventType', eventType, code);
    }
    for (const f of ctx.cdrFacts)
      for (const { push: c } of f.versions) {
        check('serviceType', serviceType, c.serviceType);
        check('cdrType', cdrType, c.cdrType);
        check('subServiceType', subServiceType, c.subServiceType);
        check('callResult', callResultTableFor(c.cdrType), c.callResult);
        check('releaseType', releaseType, c.releaseType);
        check('secretCallType', secretCallType, c.secretCallType);
        check('callDisplayType', callDisplayType, c.callDisplayType);
        check('audioRecordFlag', audioRecordFlag, c.audioRecordFlag);
      }
    return [...seen.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([, f]) => f);
  },
};
