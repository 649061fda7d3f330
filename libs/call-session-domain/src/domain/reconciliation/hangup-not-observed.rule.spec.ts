import { describe, test, expect } from '@jest/globals';
import {
  T0,
  aStatusPush,
  anAnsweredCall,
  anSmsRecord,
  anUnansweredCall,
  findingsOf,
  flowEvents,
  given,
  reconcileCall,
  withCode,
} from '../../../../testing/src/index.js';

const CODE = 'HANGUP_NOT_OBSERVED';

describe(CODE, () => {
  test('statuses came, HUNG_UP expected but missing → warning', () => {
    const flow = anUnansweredCall();
    given(flowEvents({ ...flow, statuses: flow.statuses.filter((s) => s.eventType !== 4) }))
      .when(reconcileCall(flow.callId, T0 + 1e6))
      .thenFindings((f) => expect(withCode(f, CODE)).toMatchObject([{ severity: 'warning', expected: 4 }]));
  });

  test('HUNG_UP came → nothing; not expected → nothing; no statuses → nothing', () => {
    const flow = anAnsweredCall();
    expect(withCode(findingsOf(flow), CODE)).toEqual([]);
    const noHangup = flow.statuses.filter((s) => s.eventType !== 4).map((s) => ({ ...s, allEventType: [1, 2, 3] }));
    expect(withCode(findingsOf({ statuses: noHangup, cdrs: flow.cdrs }), CODE)).toEqual([]);
    expect(withCode(findingsOf({ cdrs: flow.cdrs }), CODE)).toEqual([]);
  });

  test('allEventType sent empty announces no status: nothing, though HUNG_UP never came', () => {
    const flow = anUnansweredCall();
    const statuses = flow.statuses.filter((s) => s.eventType !== 4).map((s) => ({ ...s, allEventType: [] }));
    expect(withCode(findingsOf({ statuses, cdrs: flow.cdrs }), CODE)).toEqual([]);
    // absent from every status is still the default [1,2,3,4]
    const absent = statuses.map((s) => ({ ...s, allEventType: null }));
    expect(withCode(findingsOf({ statuses: absent, cdrs: flow.cdrs }), CODE)).toHaveLength(1);
  });

  test('not applied to an SMS record', () => {
    const sms = anSmsRecord({ accountId: '10001' });
    const status = aStatusPush({ callId: sms.callId, eventType: 1 });
    expect(withCode(findingsOf({ statuses: [status], cdrs: sms.cdrs }), CODE)).toEqual([]);
  });
});
