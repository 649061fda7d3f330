// The enumeration tables of libs/contracts (tested here: that lib's own tests belong to its owner).
import { describe, test, expect } from '@jest/globals';
import {
  callResult,
  callResultTableFor,
  enumName,
  enumerations,
  eventType,
  isKnown,
  releaseType,
  serviceType,
  smsCallResult,
} from '../../../contracts/src/enumerations.js';

describe('enumerations', () => {
  test('names and labels', () => {
    expect(enumName(serviceType, 200)).toBe('PRIVACY_NUMBER');
    expect(enumName(eventType, 4)).toBe('HUNG_UP');
    expect(enumName(callResult, -1)).toBe('OTHER');
    expect(enumName(callResult, 37)).toBe('INVALID_CALLEE_FORMAT');
    expect(enumName(smsCallResult, 1006)).toBe('SENSITIVE_CONTENT');
    expect(enumName(releaseType, 0)).toBe('UNKNOWN');
    expect(eventType[1].zh).toBe('开始呼叫');
  });

  test('unknown, absent or prototype keys are not known', () => {
    expect(enumName(eventType, 5)).toBeNull();
    expect(enumName(eventType, null)).toBeNull();
    expect(isKnown(eventType, undefined)).toBe(false);
    expect(isKnown(callResult, 1001)).toBe(false);
    expect(isKnown(smsCallResult, 1001)).toBe(true);
    expect(isKnown(eventType, 1.5)).toBe(false);
    // codes arrive from JSON: a string naming an Object.prototype member is no code
    for (const key of ['toString', '__proto__', 'constructor', 'hasOwnProperty', 'valueOf']) {
      expect(isKnown(eventType, key as unknown as number)).toBe(false);
      expect(enumName(eventType, key as unknown as number)).toBeNull();
    }
    // an integer key on the prototype (polluted) is not the table's own: an `in` lookup would take it
    const prototype = Object.getPrototypeOf(eventType) as Record<number, unknown>;
    prototype[99] = { name: 'POLLUTED', zh: '污染' };
    try {
      expect(isKnown(eventType, 99)).toBe(false);
      expect(enumName(eventType, 99)).toBeNull();
    } finally {
      delete prototype[99];
    }
  });

  test('every table listed; callResult has 1..37 and -1; the SMS table is chosen for cdrType 2', () => {
    expect(Object.keys(enumerations).sort()).toEqual(
      ['audioRecordFlag', 'callDisplayType', 'callResult', 'cdrType', 'eventType', 'messageType', 'party', 'releaseType', 'secretCallType', 'serviceType', 'smsCallResult', 'subServiceType'],
    );
    expect(Object.keys(callResult)).toHaveLength(38);
    expect(callResultTableFor(2)).toBe(smsCallResult);
    expect(callResultTableFor(1)).toBe(callResult);
  });
});
