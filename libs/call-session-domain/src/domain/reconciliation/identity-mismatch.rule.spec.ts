import { describe, test, expect } from '@jest/globals';
import {
  T0,
  anAnsweredCall,
  aPrivacyAxbCall,
  findingsOf,
  flowEvents,
  given,
  reconcileCall,
  withCode,
} from '../../../../testing/src/index.js';

const CODE = 'IDENTITY_MISMATCH';

describe(CODE, () => {
  test('accountId differs between CDR and statuses → error', () => {
    const flow = anAnsweredCall({ accountId: '10001' });
    const cdr = { ...flow.cdrs[0]!, accountId: '1' };
    given(flowEvents({ ...flow, cdrs: [cdr] }))
      .when(reconcileCall(flow.callId, T0 + 1e6))
      .thenFindings((f) => expect(withCode(f, CODE)).toMatchObject([{ severity: 'error', expected: '1', actual: '10001' }]));
  });

  test('serviceType 100: caller / callee compared', () => {
    const flow = anAnsweredCall();
    const f = withCode(findingsOf({ ...flow, cdrs: [{ ...flow.cdrs[0]!, callee: '13199999999' }] }), CODE);
    expect(f).toMatchObject([{ expected: '13199999999', actual: '13100002222' }]);
    expect(f[0]!.message).toContain('callee');
    const callerOnly = withCode(findingsOf({ ...flow, cdrs: [{ ...flow.cdrs[0]!, caller: '13188888888' }] }), CODE);
    expect(callerOnly).toMatchObject([{ expected: '13188888888', actual: '13100001111' }]);
    expect(callerOnly[0]!.message).toContain('caller');
  });

  test('serviceType 200: masked caller / callee in statuses are not a mismatch, accountId still is', () => {
    const flow = aPrivacyAxbCall();
    const cdr = { ...flow.cdrs[0]!, caller: '13188888888', callee: '13177777777' };
    expect(withCode(findingsOf({ ...flow, cdrs: [cdr] }), CODE)).toEqual([]);
    expect(withCode(findingsOf({ ...flow, cdrs: [{ ...cdr, accountId: 'other' }] }), CODE)).toHaveLength(1);
  });

  test('a status without caller is not compared; no statuses → nothing', () => {
    const flow = anAnsweredCall();
    const statuses = flow.statuses.map((s) => ({ ...s, caller: null, callee: null }));
    expect(withCode(findingsOf({ statuses, cdrs: flow.cdrs }), CODE)).toEqual([]);
    expect(withCode(findingsOf({ cdrs: [{ ...flow.cdrs[0]!, accountId: 'zzz' }] }), CODE)).toEqual([]);
  });
});
