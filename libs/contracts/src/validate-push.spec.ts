import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  BODY_FIELD,
  isJsonObject,
  validateCdrPush,
  validateCdrPushWithClassValidator,
  validateStatusPush,
  validateStatusPushWithClassValidator,
  type PushValidationResult,
} from './validate-push.js';
import { MAX_TIME_MS } from './push-field.decorators.js';

const SAMPLES_DIR = resolve(process.cwd(), '../shared/spec/samples');
const samples = readdirSync(SAMPLES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, body: JSON.parse(readFileSync(join(SAMPLES_DIR, file), 'utf8')) as Record<string, unknown> }));
const sample = (file: string): Record<string, unknown> => structuredClone(samples.find((s) => s.file === file)!.body);

const STATUS = 'status-spec-example.json';
const CDR = 'cdr-spec-example.json';

type Kind = 'status' | 'cdr';
/** Runs the fast path and class-validator; they must agree on every body of this file. */
function check(kind: Kind, body: unknown): PushValidationResult<unknown> {
  const fast = kind === 'status' ? validateStatusPush(body) : validateCdrPush(body);
  const reference = kind === 'status' ? validateStatusPushWithClassValidator(body) : validateCdrPushWithClassValidator(body);
  expect(fast).toEqual(reference);
  return fast;
}
const accepted = (kind: Kind, body: unknown): void => {
  const r = check(kind, body);
  expect(r.ok ? [] : r.violations).toEqual([]);
};
/** The body is rejected with exactly these violating fields; returns the reasons by field. */
const rejected = (kind: Kind, body: unknown, fields: string[]): Record<string, string> => {
  const r = check(kind, body);
  if (r.ok) throw new Error(`accepted, expected violations of ${fields.join(', ')}`);
  expect(r.violations.map((v) => v.field).sort()).toEqual([...fields].sort());
  return Object.fromEntries(r.violations.map((v) => [v.field, v.reason]));
};
const withField = (file: string, field: string, value: unknown): Record<string, unknown> => ({ ...sample(file), [field]: value });
const without = (file: string, field: string): Record<string, unknown> => {
  const b = sample(file);
  delete b[field];
  return b;
};

describe('the sample pushes', () => {
  test('there are status and CDR samples', () => {
    expect(samples.filter((s) => s.file.startsWith('status-')).length).toBeGreaterThanOrEqual(2);
    expect(samples.filter((s) => s.file.startsWith('cdr-')).length).toBeGreaterThanOrEqual(3);
  });
  test.each(samples.map((s) => [s.file, s.body] as const))('%s is accepted', (file, body) => {
    accepted(file.startsWith('status-') ? 'status' : 'cdr', structuredClone(body));
  });
});

describe('required fields', () => {
  const status = ['accountId', 'callId', 'eventType', 'eventTime'];
  const cdr = ['accountId', 'callId', 'serviceType', 'beginCallTime', 'endTime', 'callDuration'];
  test.each(status)('status without %s is rejected', (field) => {
    expect(rejected('status', without(STATUS, field), [field])).toEqual({ [field]: 'is required' });
  });
  test.each(status)('status with %s null is rejected', (field) => {
    expect(rejected('status', withField(STATUS, field, null), [field])).toEqual({ [field]: 'is required' });
  });
  test.each(cdr)('CDR without %s is rejected', (field) => {
    expect(rejected('cdr', without(CDR, field), [field])).toEqual({ [field]: 'is required' });
  });
  test.each(cdr)('CDR with %s null is rejected', (field) => {
    expect(rejected('cdr', withField(CDR, field, null), [field])).toEqual({ [field]: 'is required' });
  });
  test('every violation is reported, one per field', () => {
    rejected('status', {}, status);
    rejected('cdr', {}, cdr);
    rejected('cdr', { accountId: '', callId: 7, serviceType: 'x', beginCallTime: -1, endTime: 1.5, callDuration: '20' }, cdr);
  });
  test('the status fields are not required in a CDR, nor the CDR fields in a status', () => {
    accepted('cdr', { accountId: 'a', callId: 'c', serviceType: 100, beginCallTime: 0, endTime: 0, callDuration: 0 });
    accepted('status', { accountId: 'a', callId: 'c', eventType: 1, eventTime: '0' });
  });
});

describe('optional fields: absent, null, or of the example JSON type', () => {
  const statusStrings = ['caller', 'callee', 'phoneNoX', 'phoneNoA', 'phoneNoB', 'subscriptionId', 'userData'];
  const statusIntegers = ['serviceType', 'messageType', 'party'];
  const cdrStrings = [
    'numberPoolNo', 'caller', 'callerCountryIsoCode', 'callerProvinceCode', 'callerCityCode', 'callee',
    'calleeCountryIsoCode', 'calleeProvinceCode', 'calleeCityCode', 'subscriptionId', 'phoneNoX', 'phoneNoA',
    'phoneNoB', 'userData',
  ];
  const cdrIntegers = ['subServiceType', 'releaseType', 'callResult', 'audioRecordFlag', 'secretCallType', 'messageType', 'callDisplayType', 'cdrType'];
  const cdrTimes = ['ringTime', 'startTime', 'cdrCreateTime'];

  test.each(statusStrings)('status %s: null and absent are accepted, a number or object is not', (f) => {
    accepted('status', withField(STATUS, f, null));
    accepted('status', without(STATUS, f));
    accepted('status', withField(STATUS, f, 'x'));
    expect(rejected('status', withField(STATUS, f, 13100001111), [f])).toEqual({ [f]: 'must be a string' });
    rejected('status', withField(STATUS, f, { a: 1 }), [f]);
    rejected('status', withField(STATUS, f, ['x']), [f]);
    rejected('status', withField(STATUS, f, true), [f]);
  });
  test.each(statusIntegers)('status %s: any integer; null and absent accepted; "1", 1.5, true are not', (f) => {
    for (const ok of [null, 0, -1, 1, 999999, 2 ** 31]) accepted('status', withField(STATUS, f, ok));
    accepted('status', without(STATUS, f));
    for (const bad of ['1', 1.5, true, [1], {}]) {
      expect(rejected('status', withField(STATUS, f, bad), [f])).toEqual({ [f]: 'must be an integer' });
    }
  });
  test.each(cdrStrings)('CDR %s: null and absent are accepted, a number is not', (f) => {
    accepted('cdr', withField(CDR, f, null));
    accepted('cdr', without(CDR, f));
    rejected('cdr', withField(CDR, f, 1), [f]);
    rejected('cdr', withField(CDR, f, false), [f]);
  });
  test.each(cdrIntegers)('CDR %s: any integer; "1" and 1.5 are not', (f) => {
    for (const ok of [null, -1, 0, 1, 1001, 123456]) accepted('cdr', withField(CDR, f, ok));
    accepted('cdr', without(CDR, f));
    for (const bad of ['1', 1.5, false, []]) rejected('cdr', withField(CDR, f, bad), [f]);
  });
  test.each(cdrTimes)('CDR %s: optional non-negative integer, at most the latest time a date holds', (f) => {
    for (const ok of [null, 0, 1, 1607588903000, MAX_TIME_MS]) accepted('cdr', withField(CDR, f, ok));
    accepted('cdr', without(CDR, f));
    expect(rejected('cdr', withField(CDR, f, -1), [f])).toEqual({ [f]: 'must not be negative' });
    expect(rejected('cdr', withField(CDR, f, 1.5), [f])).toEqual({ [f]: 'must be an integer' });
    expect(rejected('cdr', withField(CDR, f, '1607588903000'), [f])).toEqual({ [f]: 'must be an integer' });
    expect(rejected('cdr', withField(CDR, f, MAX_TIME_MS + 1), [f])).toEqual({
      [f]: 'must not exceed 8640000000000000 (epoch ms of the latest date a time can hold)',
    });
  });
});

describe('required integers', () => {
  test.each([
    ['beginCallTime', MAX_TIME_MS],
    ['endTime', MAX_TIME_MS],
    ['callDuration', Number.MAX_SAFE_INTEGER],
  ])('CDR %s: integer ≥ 0, ≤ %d, no strings', (f, max) => {
    for (const ok of [0, 1, 20, 1607588903000, max]) accepted('cdr', withField(CDR, f, ok));
    rejected('cdr', withField(CDR, f, max + 1), [f]);
    expect(rejected('cdr', withField(CDR, f, -1), [f])).toEqual({ [f]: 'must not be negative' });
    expect(rejected('cdr', withField(CDR, f, -0.5), [f])).toEqual({ [f]: 'must be an integer' });
    expect(rejected('cdr', withField(CDR, f, 20.5), [f])).toEqual({ [f]: 'must be an integer' });
    rejected('cdr', withField(CDR, f, '20'), [f]);
    rejected('cdr', withField(CDR, f, 2 ** 53), [f]);
    rejected('cdr', withField(CDR, f, 1e300), [f]);
  });
  test('enumeration codes are any integer: callResult -1, unknown serviceType, eventType 99', () => {
    accepted('cdr', withField(CDR, 'callResult', -1));
    accepted('cdr', withField(CDR, 'serviceType', 300));
    accepted('cdr', withField(CDR, 'serviceType', -5));
    accepted('status', withField(STATUS, 'eventType', 99));
    accepted('status', withField(STATUS, 'eventType', 0));
    rejected('status', withField(STATUS, 'eventType', '2'), ['eventType']);
    rejected('status', withField(STATUS, 'eventType', 2.5), ['eventType']);
    rejected('cdr', withField(CDR, 'serviceType', '100'), ['serviceType']);
  });
});

describe('eventTime: a string of digits or a JSON integer', () => {
  test.each([['1607588903'], [1607588903], ['0'], [0], ['1607588903000'], ['0001607588903'], [String(MAX_TIME_MS)], [MAX_TIME_MS]])(
    '%p is accepted',
    (value) => accepted('status', withField(STATUS, 'eventTime', value)),
  );
  test.each([['12a'], [''], [' 1607588903'], ['1607588903 '], ['-1'], ['+1'], ['1.5'], ['1e9'], ['0x10'], ['１２'], [-1], [1.5], [true], [[1607588903]], [{}], ['8640000000000001'], [MAX_TIME_MS + 1], ['9007199254740992'], [2 ** 53]])(
    '%p is rejected',
    (value) => {
      expect(rejected('status', withField(STATUS, 'eventTime', value), ['eventTime'])).toEqual({
        eventTime: 'must be a string of digits or a non-negative integer (epoch seconds), at most 8640000000000000',
      });
    },
  );
});

describe('string lengths', () => {
  const s = (n: number, c = 'a'): string => c.repeat(n);
  test.each(['accountId', 'callId'])('%s: 1 to 128 characters', (f) => {
    accepted('status', withField(STATUS, f, s(1)));
    accepted('status', withField(STATUS, f, s(128)));
    accepted('cdr', withField(CDR, f, s(128)));
    expect(rejected('status', withField(STATUS, f, ''), [f])).toEqual({ [f]: 'must be 1 to 128 characters' });
    expect(rejected('status', withField(STATUS, f, s(129)), [f])).toEqual({ [f]: 'must be 1 to 128 characters' });
    rejected('cdr', withField(CDR, f, s(129)), [f]);
    expect(rejected('cdr', withField(CDR, f, 12345), [f])).toEqual({ [f]: 'must be a string' });
  });
  test('characters, not UTF-16 units: 128 emoji are 128 characters (class-validator Length)', () => {
    accepted('status', withField(STATUS, 'callId', s(128, '😀')));
    rejected('status', withField(STATUS, 'callId', s(129, '😀')), ['callId']);
  });
  test('userData: at most 2048 characters', () => {
    accepted('status', withField(STATUS, 'userData', s(2048)));
    accepted('cdr', withField(CDR, 'userData', s(2048)));
    accepted('cdr', withField(CDR, 'userData', ''));
    expect(rejected('status', withField(STATUS, 'userData', s(2049)), ['userData'])).toEqual({
      userData: 'must be at most 2048 characters',
    });
    rejected('cdr', withField(CDR, 'userData', s(2049)), ['userData']);
  });
  // enumerations.md's upstream extras: nothing reads them, so none of them may cost a push
  const upstreamExtras = ['outId', 'phoneNoE', 'callerShowNumber', 'calleeShowNumber', 'verifyVoiceCode', 'verifyAnwser',
    'verifyCorrectAnwser', 'verifyResult', 'phoneNoXCountryIsoCode', 'phoneNoXProvinceCode', 'phoneNoXCityCode'];
  test.each(upstreamExtras)('upstream extra %s: accepted whatever its type or length, like any field the spec does not list', (f) => {
    for (const value of ['x', s(300), 1, '1', 1.5, true, null, { a: 1 }, ['x']]) {
      accepted('cdr', withField(CDR, f, value));
      accepted('status', withField(STATUS, f, value));
    }
  });
});

describe('allEventType: an array of integers', () => {
  test.each([[[1, 2, 3, 4]], [[]], [[1]], [[5, -1]], [null]])('%p is accepted', (v) => accepted('status', withField(STATUS, 'allEventType', v)));
  test.each([[[1, '2']], [[1.5]], [[null]], [[[1]]], [[{}]], [['1', '2']]])('%p is rejected: an item is not an integer', (v) => {
    expect(rejected('status', withField(STATUS, 'allEventType', v), ['allEventType'])).toEqual({
      allEventType: 'must contain only integers',
    });
  });
  test.each([['1,2,3,4'], [1], [{ 0: 1 }]])('%p is rejected: not an array', (v) => {
    expect(rejected('status', withField(STATUS, 'allEventType', v), ['allEventType'])).toEqual({
      allEventType: 'must be an array of integers',
    });
  });
});

describe('unknown extra fields are accepted and ignored', () => {
  test('extra fields of any type', () => {
    const extra = { foo: 'bar', nested: { deep: [1, { x: null }] }, ringTime: 'not a status field', n: 1.5, z: null };
    const r = check('status', { ...sample(STATUS), ...extra });
    expect(r.ok).toBe(true);
    const { ringTime: _statusOnly, ...cdrExtra } = extra;
    accepted('cdr', { ...sample(CDR), ...cdrExtra, eventTime: 'not a CDR field', allEventType: 'x', party: 'x' });
  });
  test('the validated body is not changed (the raw push is stored as sent)', () => {
    const body = { ...sample(STATUS), extra: { a: [1] } };
    const copy = structuredClone(body);
    check('status', body);
    expect(body).toEqual(copy);
  });
  test('a JSON "__proto__" key is an ordinary unknown field, it does not supply missing fields', () => {
    const body = JSON.parse('{"__proto__": {"accountId": "a", "callId": "c", "eventType": 1, "eventTime": "1"}}') as unknown;
    rejected('status', body, ['accountId', 'callId', 'eventType', 'eventTime']);
    accepted('status', JSON.parse(`{"__proto__": {"x": 1}, "constructor": 5, ${JSON.stringify(sample(STATUS)).slice(1)}`));
  });
});

describe('the body must be a JSON object', () => {
  test.each([[null], [[]], [[{}]], ['{}'], [1], [true], [undefined]])('%p is not', (v) => {
    expect(isJsonObject(v)).toBe(false);
    const r = check('status', v);
    expect(r).toEqual({ ok: false, violations: [{ field: BODY_FIELD, reason: 'must be a JSON object' }] });
    check('cdr', v);
  });
  test('plain and null-prototype objects are', () => {
    expect(isJsonObject({})).toBe(true);
    expect(isJsonObject(JSON.parse('{"a":1}'))).toBe(true);
    expect(isJsonObject(Object.create(null))).toBe(true);
    expect(isJsonObject(new Date())).toBe(false);
    expect(isJsonObject(new Map())).toBe(false);
  });
});
