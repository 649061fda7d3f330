import { describe, test, expect } from '@jest/globals';
import {
  T0,
  aCdrPush,
  aNote,
  anAnsweredCall,
  findingsOf,
  flowEvents,
  given,
  reconcileCall,
  withCode,
} from '../../../../testing/src/index.js';

const CODE = 'TIME_UNIT_CORRECTED';
const note = aNote('TIME_UNIT_CORRECTED', 'eventTime', 1622703600000, 1622703600);

describe(CODE, () => {
  test('a push note becomes an info finding, before the CDR too', () => {
    const flow = anAnsweredCall();
    const statuses = [{ ...flow.statuses[0]!, notes: [note] }];
    expect(withCode(findingsOf({ statuses }), CODE)).toEqual([
      { code: CODE, severity: 'info', message: 'eventTime was sent in the wrong unit and normalised', expected: 1622703600, actual: 1622703600000 },
    ]);
  });

  test('kept at finalisation; the same note twice counts once', () => {
    const flow = anAnsweredCall();
    const statuses = flow.statuses.map((s, i) => (i < 2 ? { ...s, notes: [note] } : s));
    given(flowEvents({ ...flow, statuses }))
      .when(reconcileCall(flow.callId, T0 + 1e6))
      .thenFindings((f) => expect(withCode(f, CODE)).toHaveLength(1));
  });

  test('CDR notes count too', () => {
    const cdr = aCdrPush({ notes: [aNote('TIME_UNIT_CORRECTED', 'endTime', 1607588923, 1607588923000)] });
    expect(withCode(findingsOf({ cdrs: [cdr] }), CODE)).toHaveLength(1);
  });
});
