import { describe, test, expect } from '@jest/globals';
import {
  T0,
  anAnsweredCall,
  anSmsRecord,
  aPrivacyAxbCall,
  findingsOf,
  flowEvents,
  given,
  reconcileCall,
  withCode,
} from '../../../../testing/src/index.js';

const CODE = 'CDR_REVISED';

describe(CODE, () => {
  test('a later, different CDR for the same key → warning', () => {
    const flow = anAnsweredCall();
    const c = flow.cdrs[0]!;
    const revised = { ...c, callDuration: c.callDuration + 1, cdrCreateTime: (c.cdrCreateTime ?? 0) + 60_000 };
    given(flowEvents({ ...flow, cdrs: [c, revised] }))
      .when(reconcileCall(flow.callId, T0 + 1e6))
      .thenFindings((f) =>
        expect(withCode(f, CODE)).toMatchObject([
          { severity: 'warning', expected: revised.cdrCreateTime, actual: [c.cdrCreateTime, revised.cdrCreateTime] },
        ]),
      );
  });

  test('order independent: the same two contents in either order give the same finding', () => {
    const c = anAnsweredCall().cdrs[0]!;
    const revised = { ...c, callDuration: c.callDuration + 1, cdrCreateTime: (c.cdrCreateTime ?? 0) - 1 };
    expect(findingsOf({ cdrs: [c, revised] })).toEqual(findingsOf({ cdrs: [revised, c] }));
  });

  test('one content (retries are duplicates) → nothing; a CALL and an SMS record are not revisions', () => {
    const flow = aPrivacyAxbCall();
    expect(withCode(findingsOf(flow), CODE)).toEqual([]);
    const sms = anSmsRecord({ callId: flow.callId }).cdrs[0]!;
    expect(withCode(findingsOf({ cdrs: [flow.cdrs[0]!, sms] }), CODE)).toEqual([]);
  });
});
