import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { cdrPushKey, statusPushKey, type CdrPush, type StatusPush } from '../../call-session-domain/src/domain/push.js';
import { validateCdrPush, validateStatusPush } from './validate-push.js';

const SAMPLES_DIR = resolve(process.cwd(), '../shared/spec/samples');
const sample = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(resolve(SAMPLES_DIR, file), 'utf8')) as Record<string, unknown>;

const status = (patch: Record<string, unknown> = {}, file = 'status-spec-example.json'): StatusPush => {
  const r = validateStatusPush({ ...sample(file), ...patch });
  if (!r.ok) throw new Error(JSON.stringify(r.violations));
  return r.push;
};
const cdr = (patch: Record<string, unknown> = {}, file = 'cdr-spec-example.json'): CdrPush => {
  const r = validateCdrPush({ ...sample(file), ...patch });
  if (!r.ok) throw new Error(JSON.stringify(r.violations));
  return r.push;
};
const minimalStatus = { accountId: 'acc', callId: 'call-1', eventType: 1, eventTime: '1607588903' };
const minimalCdr = { accountId: 'acc', callId: 'call-1', serviceType: 100, beginCallTime: 1607588903000, endTime: 1607588923000, callDuration: 20 };

describe('status push', () => {
  test('the spec example, field by field', () => {
    expect(status()).toEqual({
      accountId: '10001',
      callId: 'NM20010115474511150001012500007a8c',
      eventType: 2,
      eventTime: 1607588903000,
      party: 1,
      serviceType: 100,
      caller: '13100001111',
      callee: '13100002222',
      allEventType: [1, 2, 3, 4],
      phoneNoX: '13100003333',
      phoneNoA: '13100001111',
      phoneNoB: '13100002222',
      subscriptionId: 'sub123456',
      userData: '{"sessionId":"abcd1234"}',
      // read by nothing here, kept as part of the status's content
      messageType: 1,
      upstream: null,
      notes: [],
    });
  });
  test('eventTime as a JSON integer of seconds is the same', () => {
    expect(status({ eventTime: 1607588903 })).toEqual(status());
  });
  test('a 13-digit eventTime is plainly ms: kept as ms and noted', () => {
    for (const sent of ['1607588903123', 1607588903123]) {
      const p = status({ eventTime: sent });
      expect(p.eventTime).toBe(1607588903123);
      expect(p.notes).toEqual([{ code: 'TIME_UNIT_CORRECTED', field: 'eventTime', actual: sent, expected: 1607588903123 }]);
    }
  });
  test('the unit boundary: 999999999999 s is seconds, 1e12 is ms', () => {
    expect(status({ eventTime: '999999999999' }).eventTime).toBe(999999999999000);
    expect(status({ eventTime: '999999999999' }).notes).toEqual([]);
    expect(status({ eventTime: '1000000000000' }).eventTime).toBe(1e12);
  });
  test('eventTime 0 is 0', () => {
    expect(status({ eventTime: '0' }).eventTime).toBe(0);
    expect(status({ eventTime: '0' }).notes).toEqual([]);
  });
  test('missing and null optional fields are null', () => {
    const r = validateStatusPush({ ...minimalStatus, party: null, userData: null });
    expect(r.ok && r.push).toEqual({
      ...minimalStatus,
      eventTime: 1607588903000,
      party: null,
      serviceType: null,
      caller: null,
      callee: null,
      allEventType: null,
      phoneNoX: null,
      phoneNoA: null,
      phoneNoB: null,
      subscriptionId: null,
      userData: null,
      messageType: null,
      upstream: null,
      notes: [],
    });
  });
  test('allEventType is a copy, not the raw body array', () => {
    const body = { ...minimalStatus, allEventType: [1, 2] };
    const r = validateStatusPush(body);
    expect(r.ok && r.push.allEventType).toEqual([1, 2]);
    expect(r.ok && r.push.allEventType).not.toBe(body.allEventType);
  });
  test('unknown enumeration values are kept as sent and flagged', () => {
    const p = status({ eventType: 9, serviceType: 300, party: 3, messageType: 7 });
    expect(p).toMatchObject({ eventType: 9, serviceType: 300, party: 3 });
    expect(p.notes).toEqual([
      { code: 'UNKNOWN_ENUM_VALUE', field: 'eventType', actual: 9 },
      { code: 'UNKNOWN_ENUM_VALUE', field: 'serviceType', actual: 300 },
      { code: 'UNKNOWN_ENUM_VALUE', field: 'party', actual: 3 },
      { code: 'UNKNOWN_ENUM_VALUE', field: 'messageType', actual: 7 },
    ]);
  });
  test('unknown codes inside allEventType are kept as sent and flagged, each distinct code once', () => {
    const p = status({ allEventType: [1, 9, 2, 9, -1, 4] });
    expect(p.allEventType).toEqual([1, 9, 2, 9, -1, 4]);
    expect(p.notes).toEqual([
      { code: 'UNKNOWN_ENUM_VALUE', field: 'allEventType', actual: 9 },
      { code: 'UNKNOWN_ENUM_VALUE', field: 'allEventType', actual: -1 },
    ]);
    expect(status({ allEventType: [] }).notes).toEqual([]);
  });
  test('known values are not flagged; the two-way call sample has no notes', () => {
    for (const eventType of [1, 2, 3, 4]) expect(status({ eventType }).notes).toEqual([]);
    expect(status({}, 'status-two-way-call.json')).toMatchObject({ party: 2, eventType: 3, eventTime: 1625104800000, notes: [] });
  });
});

describe('CDR push', () => {
  test('the spec example, field by field', () => {
    expect(cdr()).toEqual({
      accountId: '1',
      callId: 'NM20010115474511150001012500007a8c',
      serviceType: 100,
      cdrType: 1,
      subServiceType: 101,
      caller: '13100001111',
      callee: '13100002222',
      beginCallTime: 1607588903000,
      ringTime: 1607588903000,
      startTime: 1607588904000,
      endTime: 1607588923000,
      callDuration: 20,
      callResult: 1,
      releaseType: 1,
      cdrCreateTime: 1607588924000,
      subscriptionId: 'sub123456',
      phoneNoX: '13100003333',
      phoneNoA: '13100001111',
      phoneNoB: '13100002222',
      secretCallType: 10,
      callDisplayType: 1,
      audioRecordFlag: 1,
      userData: '{"orderId":"123456"}',
      // read by nothing here, kept as part of the CDR's content
      numberPoolNo: 'NP160102116501911493',
      callerCountryIsoCode: 'CN',
      callerProvinceCode: 'GD',
      callerCityCode: 'SZ',
      calleeCountryIsoCode: 'CN',
      calleeProvinceCode: 'BJ',
      calleeCityCode: 'BJ',
      messageType: 1,
      upstream: null,
      notes: [],
    });
  });
  test.each(['beginCallTime', 'ringTime', 'startTime', 'endTime', 'cdrCreateTime'] as const)(
    'a 10-digit %s is plainly seconds: ×1000 and noted',
    (field) => {
      const p = cdr({ [field]: 1607588903 });
      expect(p[field]).toBe(1607588903000);
      expect(p.notes).toEqual([{ code: 'TIME_UNIT_CORRECTED', field, actual: 1607588903, expected: 1607588903000 }]);
    },
  );
  test('the seconds window is [1e9, 1e11): values outside it are ms as sent', () => {
    expect(cdr({ ringTime: 999999999 })).toMatchObject({ ringTime: 999999999, notes: [] });
    expect(cdr({ ringTime: 1e9 })).toMatchObject({ ringTime: 1e12 });
    expect(cdr({ ringTime: 99999999999 }).ringTime).toBe(99999999999000);
    expect(cdr({ ringTime: 1e11 })).toMatchObject({ ringTime: 1e11, notes: [] });
  });
  test('a whole CDR in seconds: every time corrected, callDuration untouched', () => {
    const p = cdr({ beginCallTime: 1607588903, ringTime: 1607588903, startTime: 1607588904, endTime: 1607588923, cdrCreateTime: 1607588924 });
    expect(p).toMatchObject({
      beginCallTime: 1607588903000,
      ringTime: 1607588903000,
      startTime: 1607588904000,
      endTime: 1607588923000,
      cdrCreateTime: 1607588924000,
      callDuration: 20,
    });
    expect(p.notes.map((n) => n.field)).toEqual(['beginCallTime', 'ringTime', 'startTime', 'endTime', 'cdrCreateTime']);
  });
  test('0 means "did not happen" and stays 0; a missing ringTime / startTime is 0', () => {
    expect(cdr({ ringTime: 0, startTime: 0, callDuration: 0 })).toMatchObject({ ringTime: 0, startTime: 0, callDuration: 0, notes: [] });
    expect(cdr({ beginCallTime: 0, endTime: 0 })).toMatchObject({ beginCallTime: 0, endTime: 0, notes: [] });
    const r = validateCdrPush(minimalCdr);
    expect(r.ok && r.push).toMatchObject({ ringTime: 0, startTime: 0 });
    const n = validateCdrPush({ ...minimalCdr, ringTime: null, startTime: null });
    expect(n.ok && n.push).toMatchObject({ ringTime: 0, startTime: 0 });
  });
  test('missing optional fields are null; cdrType defaults to 1 without a note', () => {
    const r = validateCdrPush(minimalCdr);
    expect(r.ok && r.push).toEqual({
      ...minimalCdr,
      cdrType: 1,
      subServiceType: null,
      caller: null,
      callee: null,
      ringTime: 0,
      startTime: 0,
      callResult: null,
      releaseType: null,
      cdrCreateTime: null,
      subscriptionId: null,
      phoneNoX: null,
      phoneNoA: null,
      phoneNoB: null,
      secretCallType: null,
      callDisplayType: null,
      audioRecordFlag: null,
      userData: null,
      numberPoolNo: null,
      callerCountryIsoCode: null,
      callerProvinceCode: null,
      callerCityCode: null,
      calleeCountryIsoCode: null,
      calleeProvinceCode: null,
      calleeCityCode: null,
      messageType: null,
      upstream: null,
      notes: [],
    });
    const n = validateCdrPush({ ...minimalCdr, cdrType: null });
    expect(n.ok && n.push.cdrType).toBe(1);
  });
  test('the SMS sample: cdrType 2 and an SMS callResult, no notes', () => {
    expect(cdr({}, 'cdr-sms.json')).toMatchObject({ cdrType: 2, callResult: 1001, ringTime: 0, startTime: 0, notes: [] });
  });
  test('the AXB verification sample: no notes', () => {
    expect(cdr({}, 'cdr-axb-verify.json')).toMatchObject({ serviceType: 200, cdrType: 1, callResult: 1, notes: [] });
  });
  test('callResult is read against the table of its cdrType', () => {
    expect(cdr({ callResult: 1001 }).notes).toEqual([{ code: 'UNKNOWN_ENUM_VALUE', field: 'callResult', actual: 1001 }]);
    expect(cdr({ callResult: 1 }, 'cdr-sms.json').notes).toEqual([{ code: 'UNKNOWN_ENUM_VALUE', field: 'callResult', actual: 1 }]);
    expect(cdr({ callResult: -1 }).notes).toEqual([]);
    expect(cdr({ callResult: 37 }).notes).toEqual([]);
    expect(cdr({ callResult: 38 }).notes).toEqual([{ code: 'UNKNOWN_ENUM_VALUE', field: 'callResult', actual: 38 }]);
  });
  test('every enumeration field: an unknown value is kept as sent and flagged', () => {
    const unknown = {
      serviceType: 300,
      subServiceType: 999,
      cdrType: 3,
      callResult: 99,
      releaseType: 9,
      secretCallType: 12,
      callDisplayType: 5,
      audioRecordFlag: 2,
      messageType: 4,
    };
    const p = cdr(unknown);
    expect(p).toMatchObject({
      serviceType: 300,
      subServiceType: 999,
      cdrType: 3,
      callResult: 99,
      releaseType: 9,
      secretCallType: 12,
      callDisplayType: 5,
      audioRecordFlag: 2,
    });
    expect(p.notes).toEqual(Object.entries(unknown).map(([field, actual]) => ({ code: 'UNKNOWN_ENUM_VALUE', field, actual })));
  });
  test('messageType does not decide the kind of push: 1 on a CDR is fine', () => {
    expect(cdr({ messageType: 1 }).notes).toEqual([]);
    expect(cdr({ messageType: 3 }).notes).toEqual([]);
  });
});

describe('idempotency keys (contract §1) of normalised pushes', () => {
  test('status key: (callId, eventType, party, eventTime in seconds)', () => {
    expect(statusPushKey(status())).toBe('status:NM20010115474511150001012500007a8c:2:1:1607588903');
  });
  test('the same status in seconds-string, seconds-number or ms has one key', () => {
    const key = statusPushKey(status());
    expect(statusPushKey(status({ eventTime: 1607588903 }))).toBe(key);
    expect(statusPushKey(status({ eventTime: '1607588903000' }))).toBe(key);
    expect(statusPushKey(status({ eventTime: '1607588903999' }))).toBe(key);
  });
  test('a missing party is "none"; a different eventType or party is another key', () => {
    expect(statusPushKey(status({ party: null }))).toBe('status:NM20010115474511150001012500007a8c:2:none:1607588903');
    expect(statusPushKey(status({ party: 2 }))).not.toBe(statusPushKey(status()));
    expect(statusPushKey(status({ eventType: 3 }))).not.toBe(statusPushKey(status()));
  });
  test('CDR key: (callId, cdrType), cdrType 1 when absent', () => {
    expect(cdrPushKey(cdr())).toBe('cdr:NM20010115474511150001012500007a8c:1');
    expect(cdrPushKey(cdr({ cdrType: null }))).toBe('cdr:NM20010115474511150001012500007a8c:1');
    expect(cdrPushKey(cdr({}, 'cdr-sms.json'))).toBe('cdr:NM21060315100011150001012500009c2e:2');
  });
  test('a CDR revision (other content, same callId and cdrType) has the same key', () => {
    expect(cdrPushKey(cdr({ cdrCreateTime: 1607588999000, callDuration: 21 }))).toBe(cdrPushKey(cdr()));
  });
});

describe('the upstream fields the spec examples omit (enumerations.md)', () => {
  const upstreamOf = (r: { ok: boolean; push?: { upstream?: unknown } }) => (r.ok ? r.push!.upstream : 'refused');
  test('kept as sent, those sent only (null counts as absent); other unknown fields stay out', () => {
    const sent = { outId: 'order-1', verifyResult: 1, verifyAnwser: '1234', phoneNoE: null, calleeShowNumber: ['odd', 'but kept'], pushTime: 1 };
    expect(upstreamOf(validateCdrPush({ ...minimalCdr, ...sent }))).toEqual({
      outId: 'order-1',
      verifyResult: 1,
      verifyAnwser: '1234',
      calleeShowNumber: ['odd', 'but kept'],
    });
    expect(upstreamOf(validateStatusPush({ ...minimalStatus, callerShowNumber: '95013', phoneNoXCityCode: '010' }))).toEqual({
      callerShowNumber: '95013',
      phoneNoXCityCode: '010',
    });
    expect(upstreamOf(validateStatusPush({ ...minimalStatus, outId: null, somethingElse: 'x' }))).toBeNull();
  });
});
