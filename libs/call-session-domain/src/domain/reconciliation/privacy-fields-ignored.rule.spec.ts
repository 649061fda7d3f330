import { describe, test, expect } from '@jest/globals';
import {
  T0,
  aStatusPush,
  anAnsweredCall,
  aPrivacyAxbCall,
  findingsOf,
  flowEvents,
  given,
  reconcileCall,
  withCode,
} from '../../../../testing/src/index.js';

const CODE = 'PRIVACY_FIELDS_IGNORED';

describe(CODE, () => {
  test('serviceType 100 CDR carrying privacy fields (the spec example) → info, MATCHED still', () => {
    const flow = anAnsweredCall();
    const cdr = { ...flow.cdrs[0]!, phoneNoX: '13100003333', phoneNoA: '13100001111', secretCallType: 10 };
    given(flowEvents({ ...flow, cdrs: [cdr] }))
      .when(reconcileCall(flow.callId, T0 + 1e6))
      .thenFindings((f) =>
        expect(withCode(f, CODE)).toMatchObject([
          { severity: 'info', actual: ['cdr.phoneNoA', 'cdr.phoneNoX', 'cdr.secretCallType'] },
        ]),
      )
      .thenEvents((e) => expect(e[0]).toMatchObject({ data: { reconciliation: { status: 'MATCHED' } } }));
  });

  test('statuses too, before any CDR', () => {
    const s = aStatusPush({ serviceType: 100, phoneNoX: '13100003333' });
    expect(withCode(findingsOf({ statuses: [s] }), CODE)).toMatchObject([{ actual: ['status.phoneNoX'] }]);
  });

  test('serviceType 200 → nothing; serviceType 100 without them → nothing', () => {
    expect(withCode(findingsOf(aPrivacyAxbCall()), CODE)).toEqual([]);
    expect(withCode(findingsOf(anAnsweredCall()), CODE)).toEqual([]);
  });
});
