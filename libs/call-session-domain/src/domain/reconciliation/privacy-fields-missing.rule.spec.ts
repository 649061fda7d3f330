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

const CODE = 'PRIVACY_FIELDS_MISSING';

describe(CODE, () => {
  test('serviceType 200 CDR without phoneNoX → warning', () => {
    const flow = aPrivacyAxbCall();
    given(flowEvents({ ...flow, cdrs: [{ ...flow.cdrs[0]!, phoneNoX: null }] }))
      .when(reconcileCall(flow.callId, T0 + 1e6))
      .thenFindings((f) => expect(withCode(f, CODE)).toMatchObject([{ severity: 'warning' }]));
  });

  test('an empty phoneNoX is missing too; present → nothing; serviceType 100 → nothing', () => {
    const flow = aPrivacyAxbCall();
    expect(withCode(findingsOf({ cdrs: [{ ...flow.cdrs[0]!, phoneNoX: '' }] }), CODE)).toHaveLength(1);
    expect(withCode(findingsOf(flow), CODE)).toEqual([]);
    expect(withCode(findingsOf(anAnsweredCall()), CODE)).toEqual([]);
  });

  test('without a CDR nothing is judged', () => {
    const flow = aPrivacyAxbCall();
    expect(withCode(findingsOf({ statuses: flow.statuses.map((s) => ({ ...s, phoneNoX: null })) }), CODE)).toEqual([]);
  });
});
