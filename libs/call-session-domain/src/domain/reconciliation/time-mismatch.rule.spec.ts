import { describe, test, expect } from '@jest/globals';
import {
  T0,
  aStatusPush,
  anAnsweredCall,
  anSmsRecord,
  anUnansweredCall,
  aPrivacyAxbCall,
  findingsOf,
  flowEvents,
  given,
  reconcileCall,
  withCode,
} from '../../../../testing/src/index.js';

const CODE = 'TIME_MISMATCH';

describe(CODE, () => {
  test('a CDR time more than 2 s from its status → warning', () => {
    const flow = anAnsweredCall();
    const c = flow.cdrs[0]!;
    given(flowEvents({ ...flow, cdrs: [{ ...c, beginCallTime: c.beginCallTime - 3000 }] }))
      .when(reconcileCall(flow.callId, T0 + 1e6))
      .thenFindings((f) =>
        expect(withCode(f, CODE)).toMatchObject([
          { severity: 'warning', expected: c.beginCallTime - 3000, actual: c.beginCallTime },
        ]),
      );
  });

  test('2 s apart is within tolerance', () => {
    const flow = anAnsweredCall();
    const c = flow.cdrs[0]!;
    expect(withCode(findingsOf({ ...flow, cdrs: [{ ...c, endTime: c.endTime + 2000, callDuration: c.callDuration + 2 }] }), CODE)).toEqual([]);
  });

  test('each pair: ringTime↔RINGING, startTime↔ANSWERED, endTime↔HUNG_UP', () => {
    const flow = anAnsweredCall();
    const c = flow.cdrs[0]!;
    const shifted = { ...c, ringTime: c.ringTime + 2500, startTime: c.startTime + 2500, endTime: c.endTime + 2500 };
    expect(withCode(findingsOf({ ...flow, cdrs: [shifted] }), CODE).map((f) => f.expected)).toEqual([
      shifted.ringTime,
      shifted.startTime,
      shifted.endTime,
    ]);
  });

  test('zeros skipped, missing statuses skipped; two legs: the closest status counts', () => {
    expect(withCode(findingsOf(anUnansweredCall()), CODE)).toEqual([]);
    expect(withCode(findingsOf({ cdrs: anAnsweredCall().cdrs }), CODE)).toEqual([]);
    expect(withCode(findingsOf(aPrivacyAxbCall()), CODE)).toEqual([]);
  });

  test('not applied to SMS records', () => {
    const sms = anSmsRecord({ accountId: '10001' });
    const st = aStatusPush({ callId: sms.callId, eventType: 1, eventTime: sms.cdrs[0]!.beginCallTime + 60_000 });
    expect(withCode(findingsOf({ statuses: [st], cdrs: sms.cdrs }), CODE)).toEqual([]);
  });
});
