import { describe, test, expect } from '@jest/globals';
import {
  T0,
  anAnsweredCall,
  anSmsRecord,
  anUnansweredCall,
  findingsOf,
  flowEvents,
  given,
  reconcileCall,
  withCode,
} from '../../../../testing/src/index.js';

const CODE = 'DURATION_MISMATCH';

describe(CODE, () => {
  test('answered: callDuration more than 1 s off (end − start)/1000 → error', () => {
    const flow = anAnsweredCall({ talkSeconds: 20 });
    const cdr = { ...flow.cdrs[0]!, callDuration: 22 };
    given(flowEvents({ ...flow, cdrs: [cdr] }))
      .when(reconcileCall(flow.callId, T0 + 1e6))
      .thenFindings((f) =>
        expect(withCode(f, CODE)).toEqual([
          expect.objectContaining({ code: CODE, severity: 'error', expected: 20, actual: 22 }),
        ]),
      )
      .thenEvents((e) => expect(e[0]).toMatchObject({ data: { reconciliation: { status: 'DISCREPANCY' } } }));
  });

  test('within 1 s (the spec example: 19 s measured, 20 billed) → nothing', () => {
    const flow = anAnsweredCall({ talkSeconds: 19 });
    expect(withCode(findingsOf({ cdrs: [{ ...flow.cdrs[0]!, callDuration: 20 }] }), CODE)).toEqual([]);
    expect(withCode(findingsOf({ cdrs: [{ ...flow.cdrs[0]!, callDuration: 18 }] }), CODE)).toEqual([]);
  });

  test('unanswered (startTime 0): callDuration must be 0', () => {
    const flow = anUnansweredCall();
    expect(withCode(findingsOf(flow), CODE)).toEqual([]);
    const f = withCode(findingsOf({ cdrs: [{ ...flow.cdrs[0]!, callDuration: 5 }] }), CODE);
    expect(f).toMatchObject([{ severity: 'error', expected: 0, actual: 5 }]);
  });

  test('answered with endTime 0 (its end did not happen): an error with no expected value, not minus the start time', () => {
    const flow = anAnsweredCall({ talkSeconds: 20 });
    const f = withCode(findingsOf({ cdrs: [{ ...flow.cdrs[0]!, endTime: 0 }] }), CODE);
    expect(f).toEqual([expect.objectContaining({ severity: 'error', expected: null, actual: 20 })]);
    expect(f[0]!.message).toMatch(/cannot be checked.*endTime 0/);
  });

  test('not applied to SMS records', () => {
    const sms = anSmsRecord();
    expect(withCode(findingsOf({ cdrs: [{ ...sms.cdrs[0]!, callDuration: 30 }] }), CODE)).toEqual([]);
  });
});
