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

  test('two legs: the closest status counts, not the farthest', () => {
    const flow = aPrivacyAxbCall();
    const c = flow.cdrs[0]!;
    // leg A's INITIATED at beginCallTime, leg B's 5 s after it: A's is the one that counts
    const bLate = flow.statuses.map((s) => (s.eventType === 1 && s.party === 2 ? { ...s, eventTime: c.beginCallTime + 5000 } : s));
    expect(withCode(findingsOf({ ...flow, statuses: bLate }), CODE)).toEqual([]);
    // both legs more than 2 s off: one finding, by the nearer leg's distance
    const earlier = { ...c, beginCallTime: c.beginCallTime - 3000 };
    expect(withCode(findingsOf({ ...flow, statuses: bLate, cdrs: [earlier] }), CODE)).toMatchObject([
      { expected: earlier.beginCallTime, message: expect.stringContaining('differs by 3 s') },
    ]);
  });

  test('not applied to SMS records', () => {
    const sms = anSmsRecord({ accountId: '10001' });
    const st = aStatusPush({ callId: sms.callId, eventType: 1, eventTime: sms.cdrs[0]!.beginCallTime + 60_000 });
    expect(withCode(findingsOf({ statuses: [st], cdrs: sms.cdrs }), CODE)).toEqual([]);
  });
});
