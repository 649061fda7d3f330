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

const CODE = 'ANSWER_WITHOUT_CONNECT';

describe(CODE, () => {
  test('an ANSWERED status and callResult ≠ 1 → error', () => {
    const flow = anAnsweredCall();
    const cdr = { ...flow.cdrs[0]!, callResult: 7 };
    given(flowEvents({ ...flow, cdrs: [cdr] }))
      .when(reconcileCall(flow.callId, T0 + 1e6))
      .thenFindings((f) => expect(withCode(f, CODE)).toMatchObject([{ severity: 'error', expected: 1, actual: 7 }]));
  });

  test('ANSWERED and callResult 1 → nothing', () => {
    expect(withCode(findingsOf(anAnsweredCall()), CODE)).toEqual([]);
  });

  test('no ANSWERED status → nothing, whatever the callResult', () => {
    expect(withCode(findingsOf(anUnansweredCall({ callResult: 8 })), CODE)).toEqual([]);
  });

  test('a CDR without callResult is not judged', () => {
    const flow = anAnsweredCall();
    expect(withCode(findingsOf({ ...flow, cdrs: [{ ...flow.cdrs[0]!, callResult: null }] }), CODE)).toEqual([]);
  });

  test('not applied to SMS records', () => {
    const flow = anAnsweredCall();
    const sms = anSmsRecord({ callId: flow.callId, accountId: '10001' }).cdrs[0]!;
    expect(withCode(findingsOf({ statuses: flow.statuses, cdrs: [sms] }), CODE)).toEqual([]);
  });
});
