import { describe, test, expect } from '@jest/globals';
import {
  T0,
  anAnsweredCall,
  anUnansweredCall,
  findingsOf,
  flowEvents,
  given,
  reconcileCall,
  withCode,
} from '../../../../testing/src/index.js';

const CODE = 'ANSWER_NOT_OBSERVED';

describe(CODE, () => {
  test('statuses came, callResult 1, ANSWERED expected but missing → warning', () => {
    const flow = anAnsweredCall();
    const statuses = flow.statuses.filter((s) => s.eventType !== 3);
    given(flowEvents({ ...flow, statuses }))
      .when(reconcileCall(flow.callId, T0 + 1e6))
      .thenFindings((f) => expect(withCode(f, CODE)).toMatchObject([{ severity: 'warning', expected: 3, actual: [1, 2, 4] }]))
      .thenEvents((e) => expect(e[0]).toMatchObject({ data: { reconciliation: { status: 'WARNINGS' } } }));
  });

  test('allEventType absent defaults to [1,2,3,4]', () => {
    const flow = anAnsweredCall();
    const statuses = flow.statuses.filter((s) => s.eventType !== 3).map((s) => ({ ...s, allEventType: null }));
    expect(withCode(findingsOf({ statuses, cdrs: flow.cdrs }), CODE)).toHaveLength(1);
  });

  test('ANSWERED not in allEventType → nothing', () => {
    const flow = anAnsweredCall();
    const statuses = flow.statuses.filter((s) => s.eventType !== 3).map((s) => ({ ...s, allEventType: [1, 2, 4] }));
    expect(withCode(findingsOf({ statuses, cdrs: flow.cdrs }), CODE)).toEqual([]);
  });

  test('allEventType sent empty announces no status: nothing, though ANSWERED never came', () => {
    const flow = anAnsweredCall();
    const statuses = flow.statuses.filter((s) => s.eventType !== 3).map((s) => ({ ...s, allEventType: [] }));
    expect(withCode(findingsOf({ statuses, cdrs: flow.cdrs }), CODE)).toEqual([]);
    // one status sending it empty is enough: the default is for when no status sent the field
    const mixed = statuses.map((s, i) => ({ ...s, allEventType: i === 0 ? [] : null }));
    expect(withCode(findingsOf({ statuses: mixed, cdrs: flow.cdrs }), CODE)).toEqual([]);
  });

  test('no statuses at all, or callResult ≠ 1 → nothing', () => {
    expect(withCode(findingsOf({ cdrs: anAnsweredCall().cdrs }), CODE)).toEqual([]);
    expect(withCode(findingsOf(anUnansweredCall()), CODE)).toEqual([]);
  });
});
