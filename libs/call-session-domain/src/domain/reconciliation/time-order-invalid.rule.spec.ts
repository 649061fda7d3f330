import { describe, test, expect } from '@jest/globals';
import {
  T0,
  anAnsweredCall,
  anSmsRecord,
  anUnansweredCall,
  codesOf,
  findingsOf,
  flowEvents,
  given,
  reconcileCall,
  withCode,
} from '../../../../testing/src/index.js';

const CODE = 'TIME_ORDER_INVALID';

describe(CODE, () => {
  test('ringTime before beginCallTime → error', () => {
    const flow = anAnsweredCall();
    const c = flow.cdrs[0]!;
    given(flowEvents({ ...flow, cdrs: [{ ...c, ringTime: c.beginCallTime - 1000 }] }))
      .when(reconcileCall(flow.callId, T0 + 1e6))
      .thenFindings((f) => expect(withCode(f, CODE)).toMatchObject([{ severity: 'error', actual: { ringTime: c.beginCallTime - 1000 } }]));
  });

  test('endTime before startTime → error', () => {
    const c = anAnsweredCall().cdrs[0]!;
    expect(codesOf(findingsOf({ cdrs: [{ ...c, endTime: c.startTime - 1 }] }))).toContain(CODE);
  });

  test('zeros are skipped: an unanswered call (startTime 0) is ordered', () => {
    expect(withCode(findingsOf(anUnansweredCall({ rang: false })), CODE)).toEqual([]);
    expect(withCode(findingsOf(anUnansweredCall()), CODE)).toEqual([]);
  });

  test('equal times are ordered', () => {
    const c = anAnsweredCall().cdrs[0]!;
    expect(withCode(findingsOf({ cdrs: [{ ...c, ringTime: c.beginCallTime, startTime: c.beginCallTime }] }), CODE)).toEqual([]);
  });

  test('applies to SMS records too (their begin ≤ end)', () => {
    const c = anSmsRecord().cdrs[0]!;
    expect(withCode(findingsOf({ cdrs: [c] }), CODE)).toEqual([]);
    expect(withCode(findingsOf({ cdrs: [{ ...c, endTime: c.beginCallTime - 1000 }] }), CODE)).toHaveLength(1);
  });
});
