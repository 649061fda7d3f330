import { describe, test, expect } from '@jest/globals';
import {
  aStatusPush,
  anAnsweredCall,
  anSmsRecord,
  anUnansweredCall,
  aPrivacyAxbCall,
  findingsOf,
} from '../../../../testing/src/index.js';

import { reconciliationStatus, statusOfFindings, RECONCILIATION_RULES } from './reconcile.js';
import { FINDING_CODES } from '../finding.js';
import { stateWith } from '../../../../testing/src/index.js';

describe('reconcile / reconciliationStatus', () => {
  test('one rule per finding code, in the contract table order', () => {
    expect(RECONCILIATION_RULES.map((r) => r.code)).toEqual([...FINDING_CODES]);
  });

  test('PENDING without a CDR, even with info findings', () => {
    expect(reconciliationStatus(stateWith({ statuses: [aStatusPush({ eventType: 7 })] }))).toBe('PENDING');
  });

  test('MATCHED, WARNINGS, DISCREPANCY, CDR_ONLY', () => {
    const flow = anAnsweredCall();
    expect(reconciliationStatus(stateWith(flow))).toBe('MATCHED');
    expect(reconciliationStatus(stateWith({ ...flow, statuses: flow.statuses.slice(0, 3) }))).toBe('WARNINGS');
    expect(reconciliationStatus(stateWith({ ...flow, cdrs: [{ ...flow.cdrs[0]!, callDuration: 99 }] }))).toBe('DISCREPANCY');
    expect(reconciliationStatus(stateWith({ cdrs: flow.cdrs }))).toBe('CDR_ONLY');
    expect(reconciliationStatus(stateWith(anSmsRecord()))).toBe('CDR_ONLY');
  });

  test('CDR_ONLY wins over a warning but not over an error', () => {
    const c = aPrivacyAxbCall().cdrs[0]!;
    expect(reconciliationStatus(stateWith({ cdrs: [{ ...c, phoneNoX: null }] }))).toBe('CDR_ONLY');
    expect(reconciliationStatus(stateWith({ cdrs: [{ ...c, callDuration: 1 }] }))).toBe('DISCREPANCY');
    expect(statusOfFindings([], { hasCdr: true, hasStatuses: false })).toBe('CDR_ONLY');
  });

  test('every call-flow mother reconciles clean', () => {
    for (const flow of [anAnsweredCall(), anUnansweredCall(), anUnansweredCall({ rang: false, callResult: 2 }), aPrivacyAxbCall(), aPrivacyAxbCall({ answered: false }), anSmsRecord()])
      expect(findingsOf(flow)).toEqual([]);
  });
});
