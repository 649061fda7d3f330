import { describe, test, expect } from '@jest/globals';
import {
  T0,
  aCdrPush,
  aNote,
  aStatusPush,
  anSmsRecord,
  aPrivacyAxbCall,
  findingsOf,
  flowEvents,
  given,
  reconcileCall,
  withCode,
} from '../../../../testing/src/index.js';

const CODE = 'UNKNOWN_ENUM_VALUE';

describe(CODE, () => {
  test('an unknown eventType is flagged by the domain, before the CDR', () => {
    const s = aStatusPush({ eventType: 7 });
    expect(withCode(findingsOf({ statuses: [s] }), CODE)).toMatchObject([{ severity: 'info', actual: 7 }]);
  });

  test('the note from ingestion and the domain check give one finding per field and value', () => {
    const s = aStatusPush({ eventType: 7, notes: [aNote('UNKNOWN_ENUM_VALUE', 'eventType', 7)] });
    expect(withCode(findingsOf({ statuses: [s] }), CODE)).toHaveLength(1);
  });

  test('unknown codes inside allEventType: from the ingestion note, and from a status stored without it', () => {
    const noted = aStatusPush({ allEventType: [1, 2, 9], notes: [aNote('UNKNOWN_ENUM_VALUE', 'allEventType', 9)] });
    expect(withCode(findingsOf({ statuses: [noted] }), CODE)).toMatchObject([{ severity: 'info', actual: 9 }]);
    const unnoted = aStatusPush({ eventType: 2, allEventType: [1, 2, 9, 9, -1] });
    expect(withCode(findingsOf({ statuses: [unnoted] }), CODE).map((f) => f.actual)).toEqual([-1, 9]);
  });

  test('CDR codes: callResult by cdrType (1001 is known for SMS, not for calls), serviceType, releaseType …', () => {
    expect(withCode(findingsOf(anSmsRecord()), CODE)).toEqual([]);
    const c = aCdrPush({ callResult: 1001, serviceType: 300, releaseType: 9, callDisplayType: 5 });
    given(flowEvents({ callId: c.callId, statuses: [], cdrs: [c] }))
      .when(reconcileCall(c.callId, T0))
      .thenFindings((f) =>
        expect(withCode(f, CODE).map((x) => x.actual).sort()).toEqual([1001, 300, 5, 9].sort()),
      );
  });

  test('callResult -1 (other) and every listed code are known', () => {
    expect(withCode(findingsOf({ cdrs: [aCdrPush({ callResult: -1, startTime: 0, callDuration: 0 })] }), CODE)).toEqual([]);
    expect(withCode(findingsOf(aPrivacyAxbCall()), CODE)).toEqual([]);
  });
});
