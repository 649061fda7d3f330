import { describe, test, expect } from '@jest/globals';
import {
  T0,
  anAnsweredCall,
  codesOf,
  findingsOf,
  withCode,
} from '../../../../testing/src/index.js';

import { applyAllWithLog, recordCdr, recordStatus } from '../../../../testing/src/index.js';

const CODE = 'LATE_STATUS_EVENT';

describe(CODE, () => {
  test('a status after finalisation: recorded late, call reconciled again with an info finding', () => {
    const flow = anAnsweredCall();
    const [s1, s2, s3, s4] = flow.statuses;
    const run = applyAllWithLog([
      recordStatus(s1!, T0 + 10_000),
      recordStatus(s2!, T0 + 11_000),
      recordStatus(s3!, T0 + 12_000),
      recordCdr(flow.cdrs[0]!, T0 + 13_000),
      recordStatus(s4!, T0 + 14_000),
    ]);
    expect(run.events.map((e) => e.type)).toEqual([
      'StatusRecorded',
      'StatusRecorded',
      'StatusRecorded',
      'CdrRecorded',
      'CallFinalised',
      'StatusRecorded',
      'CallReconciled',
    ]);
    const last = run.events.at(-1)!;
    if (last.type !== 'CallReconciled') throw new Error('expected CallReconciled');
    // the HUNG_UP came late: HANGUP_NOT_OBSERVED goes away, LATE_STATUS_EVENT comes
    expect(codesOf(last.data.previous!.findings)).toEqual(['HANGUP_NOT_OBSERVED']);
    expect(codesOf(last.data.reconciliation.findings)).toEqual([CODE]);
    expect(withCode(last.data.reconciliation.findings, CODE)).toMatchObject([
      { severity: 'info', actual: { eventType: 4, party: null, eventTime: s4!.eventTime } },
    ]);
  });

  test('statuses before finalisation are not late', () => {
    expect(withCode(findingsOf(anAnsweredCall()), CODE)).toEqual([]);
  });
});
