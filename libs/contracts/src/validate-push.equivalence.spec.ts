// The fast path (compiled checks) against class-validator (plainToInstance + validateSync): on the
// spec samples, on every sample with each field replaced by each awkward value, and on a
// fast-check corpus of valid and invalid bodies, both must give the same answer — the accept /
// reject decision, the violations (field and reason, in order) and the normalised push.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getMetadataStorage, IsEmail, IsInt, IsString, ValidateIf } from 'class-validator';
import { CdrPushRequestDto } from './cdr-push.request.dto.js';
import { compileDtoValidator, lengthWithin } from './compile-dto-validator.js';
import { StatusPushRequestDto } from './status-push.request.dto.js';
import {
  validateCdrPush,
  validateCdrPushWithClassValidator,
  validateStatusPush,
  validateStatusPushWithClassValidator,
} from './validate-push.js';

const SAMPLES_DIR = resolve(process.cwd(), '../shared/spec/samples');
const samples = readdirSync(SAMPLES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({
    file,
    kind: (file.startsWith('status-') ? 'status' : 'cdr') as Kind,
    body: JSON.parse(readFileSync(join(SAMPLES_DIR, file), 'utf8')) as Record<string, unknown>,
  }));

type Kind = 'status' | 'cdr';
type FieldKind = 'id' | 'string' | 'string2048' | 'integer' | 'time' | 'eventTime' | 'integerArray';

// The fields as contract §1 describes them, written out independently of the DTOs (enumerations.md's
// upstream extras are unknown fields like any other: not checked).
const STATUS_FIELDS: Record<string, FieldKind> = {
  accountId: 'id', callId: 'id', eventType: 'integer', eventTime: 'eventTime',
  serviceType: 'integer', caller: 'string', callee: 'string', allEventType: 'integerArray', messageType: 'integer',
  phoneNoX: 'string', phoneNoA: 'string', phoneNoB: 'string', party: 'integer', subscriptionId: 'string',
  userData: 'string2048',
};
const STATUS_REQUIRED = ['accountId', 'callId', 'eventType', 'eventTime'];
const CDR_FIELDS: Record<string, FieldKind> = {
  accountId: 'id', callId: 'id', serviceType: 'integer', beginCallTime: 'time', endTime: 'time', callDuration: 'time',
  subServiceType: 'integer', numberPoolNo: 'string', caller: 'string', callerCountryIsoCode: 'string',
  callerProvinceCode: 'string', callerCityCode: 'string', callee: 'string', calleeCountryIsoCode: 'string',
  calleeProvinceCode: 'string', calleeCityCode: 'string', ringTime: 'time', startTime: 'time', releaseType: 'integer',
  callResult: 'integer', audioRecordFlag: 'integer', cdrCreateTime: 'time', subscriptionId: 'string',
  phoneNoX: 'string', phoneNoA: 'string', phoneNoB: 'string', secretCallType: 'integer', messageType: 'integer',
  callDisplayType: 'integer', cdrType: 'integer', userData: 'string2048',
};
const CDR_REQUIRED = ['accountId', 'callId', 'serviceType', 'beginCallTime', 'endTime', 'callDuration'];

const FIELDS = { status: STATUS_FIELDS, cdr: CDR_FIELDS };
const REQUIRED = { status: STATUS_REQUIRED, cdr: CDR_REQUIRED };

function both(kind: Kind, body: unknown): { fast: unknown; reference: unknown } {
  return kind === 'status'
    ? { fast: validateStatusPush(body), reference: validateStatusPushWithClassValidator(body) }
    : { fast: validateCdrPush(body), reference: validateCdrPushWithClassValidator(body) };
}

// ---- values ---------------------------------------------------------------------------------

/** Characters that make "length" differ from UTF-16 length (validator.js isLength), and plain ones. */
const trickyChar = fc.constantFrom('a', '1', 'é', '😀', '\uFE0F', '\uFE0E', '\uD83D', '\uDE00', '中', ' ');
const stringAround = (n: number): fc.Arbitrary<string> =>
  fc.integer({ min: Math.max(0, n - 6), max: n + 6 }).chain((len) =>
    fc.array(fc.oneof({ arbitrary: fc.constant('a'), weight: 6 }, { arbitrary: trickyChar, weight: 1 }), { minLength: len, maxLength: len }).map((cs) => cs.join('')),
  );
/** Up to ~2.1k UTF-16 units when the characters are emoji. */
const stringWithSurrogatesAround = (n: number): fc.Arbitrary<string> =>
  fc.integer({ min: Math.max(0, Math.floor(n / 2) - 4), max: n + 4 }).chain((len) =>
    fc.array(trickyChar, { minLength: len, maxLength: len }).map((cs) => cs.join('')),
  );
const anyString = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }));

const validValue: Record<FieldKind, fc.Arbitrary<unknown>> = {
  id: fc.oneof(fc.string({ minLength: 1, maxLength: 128 }), fc.stringMatching(/^NM[0-9a-f]{32}$/)),
  string: anyString,
  string2048: fc.oneof(fc.string({ maxLength: 64 }), fc.string({ minLength: 2000, maxLength: 2048 })),
  integer: fc.oneof(fc.integer({ min: -2, max: 40 }), fc.constantFrom(100, 200, 101, 205, 1001, 1006, -1), fc.integer()),
  time: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 1e12, max: 2e12 }),
    fc.integer({ min: 1e9, max: 2e9 }),
    fc.maxSafeNat(),
    fc.nat(),
  ),
  eventTime: fc.oneof(
    fc.integer({ min: 1e9, max: 2e9 }).map(String),
    fc.integer({ min: 1e9, max: 2e9 }),
    fc.integer({ min: 1e12, max: 2e12 }).map(String),
    fc.maxSafeNat().map(String),
    fc.maxSafeNat(),
    fc.stringMatching(/^0[0-9]{0,15}$/),
  ),
  integerArray: fc.array(fc.integer({ min: -1, max: 6 }), { maxLength: 6 }),
};

/** Awkward JSON values: wrong types, boundaries, near-misses, for any field. */
const awkwardConstants: unknown[] = [
  null, true, false, 0, -0, -1, 1, 1.5, -0.5, 1e21, 1e300, -1e300, 2 ** 31, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2,
  Number.MIN_VALUE, 1607588903, 1607588903000, '', ' ', '0', '1', '-1', '+1', '1.5', '1e9', '12a', 'abc',
  ' 1607588903', '1607588903', '1607588903000', '8640000000000000', '8640000000000001', '9007199254740991', '9007199254740992', '00000000000000000000001',
  '１２３', '\u0661\u0662', '\uFE0F', 'a\uFE0F', '😀', [], [1], [1, 2, 3, 4], ['1'], [1.5], [null], [[1]], [{}], {},
  { a: 1 }, { 0: 1, length: 1 }, 'a'.repeat(128), 'a'.repeat(129), 'a'.repeat(2048), 'a'.repeat(2049),
  Array(16).fill(1), Array(17).fill(1), Array(17).fill('x'),
  '😀'.repeat(128), '😀'.repeat(129), 'a\uFE0F'.repeat(64), 'a\uFE0F'.repeat(65), '\uFE0F'.repeat(129),
];
const awkwardValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(...awkwardConstants), weight: 6 },
  { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 2 },
  { arbitrary: stringAround(128), weight: 1 },
  { arbitrary: stringWithSurrogatesAround(128), weight: 1 },
  { arbitrary: stringAround(2048), weight: 1 },
  { arbitrary: fc.double(), weight: 1 },
  { arbitrary: fc.array(fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)), { maxLength: 4 }), weight: 1 },
);

/** A body: each known field absent, valid, null or awkward; unknown extra keys (which may collide). */
function bodyArbitrary(kind: Kind, invalidWeight: number): fc.Arbitrary<Record<string, unknown>> {
  const fields = FIELDS[kind];
  const required = new Set(REQUIRED[kind]);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, fieldKind] of Object.entries(fields)) {
    model[name] = fc.oneof(
      { arbitrary: validValue[fieldKind], weight: 20 },
      { arbitrary: fc.constant(null), weight: invalidWeight > 0 ? 1 : required.has(name) ? 0 : 2 },
      { arbitrary: awkwardValue, weight: invalidWeight },
    );
  }
  // Required keys may be absent only in the most awkward corpus (else valid bodies would be rare).
  const requiredKeys = invalidWeight > 1 ? [] : [...required];
  const known = fc.record(model, { requiredKeys: requiredKeys as never[] });
  const extraKey = fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', ...Object.keys(fields)));
  const extras = fc.dictionary(extraKey, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
  // JSON round trip: the validators see what JSON.parse gives (no undefined, no NaN, no -0).
  return fc.tuple(extras, known).map(([e, k]) => JSON.parse(JSON.stringify({ ...e, ...k })) as Record<string, unknown>);
}

// ---- tests ------------------------------------------------------------------------------------

describe('the DTOs carry exactly the fields of the contract', () => {
  test.each([
    ['status', StatusPushRequestDto],
    ['cdr', CdrPushRequestDto],
  ] as const)('%s', (kind, dto) => {
    const names = new Set(getMetadataStorage().getTargetValidationMetadatas(dto, '', false, false).map((m) => m.propertyName));
    expect([...names].sort()).toEqual(Object.keys(FIELDS[kind]).sort());
  });
});

describe('fast path ≡ class-validator', () => {
  test.each(samples.map((s) => [s.file, s.kind, s.body] as const))('sample %s', (_file, kind, body) => {
    const { fast, reference } = both(kind, body);
    expect(fast).toEqual(reference);
    expect(fast).toMatchObject({ ok: true });
  });

  test('every sample with each known field removed, null, or replaced by each awkward value', () => {
    let compared = 0;
    for (const s of samples) {
      for (const field of Object.keys(FIELDS[s.kind])) {
        const removed = { ...s.body };
        delete removed[field];
        for (const body of [removed, ...awkwardConstants.map((v) => ({ ...s.body, [field]: v }))]) {
          const json = JSON.parse(JSON.stringify(body)) as unknown;
          const { fast, reference } = both(s.kind, json);
          if (JSON.stringify(fast) !== JSON.stringify(reference)) expect({ body: json, fast }).toEqual({ body: json, fast: reference });
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(5000);
  });

  test.each([
    ['status', 0],
    ['status', 1],
    ['status', 4],
    ['cdr', 0],
    ['cdr', 1],
    ['cdr', 4],
  ] as const)('generated %s bodies (awkward-value weight %d)', (kind, invalidWeight) => {
    let valid = 0;
    let invalid = 0;
    fc.assert(
      fc.property(bodyArbitrary(kind, invalidWeight), (body) => {
        const { fast, reference } = both(kind, body);
        expect(fast).toEqual(reference);
        if ((fast as { ok: boolean }).ok) valid++;
        else invalid++;
      }),
      { numRuns: 1000 },
    );
    // the corpus exercises both answers
    if (invalidWeight === 0) expect(valid).toBeGreaterThan(700);
    else expect(invalid).toBeGreaterThan(200);
    if (invalidWeight === 1) expect(valid).toBeGreaterThan(100);
    expect(valid + invalid).toBe(1000);
  });

  test('generated non-object bodies', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.array(fc.jsonValue({ maxDepth: 1 }))), fc.constantFrom<Kind>('status', 'cdr'), (value, kind) => {
        const { fast, reference } = both(kind, value);
        expect(fast).toEqual(reference);
      }),
      { numRuns: 500 },
    );
  });

  test('lengthWithin ≡ validator.js isLength (via class-validator Length) on tricky strings', async () => {
    const { length } = await import('class-validator');
    fc.assert(
      fc.property(
        fc.oneof(stringWithSurrogatesAround(8), stringAround(8), fc.string({ unit: 'binary', maxLength: 20 })),
        fc.integer({ min: 0, max: 10 }),
        fc.option(fc.integer({ min: 0, max: 16 }), { nil: undefined }),
        (s, min, max) => {
          expect(lengthWithin(s, min, max)).toBe(length(s, min, max));
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('the fast path refuses what it cannot reproduce', () => {
  test('an unknown constraint, a default ($-token) message, a validateIf, groups', () => {
    class WithEmail {
      @IsEmail({}, { message: 'must be an email' }) email!: string;
    }
    class WithDefaultMessage {
      @IsString() name!: string;
    }
    class WithValidateIf {
      @IsInt({ message: 'must be an integer', validateIf: () => true }) n!: number;
    }
    class WithCondition {
      @ValidateIf(() => true) @IsInt({ message: 'must be an integer' }) n!: number;
    }
    class WithGroups {
      @IsInt({ message: 'must be an integer', groups: ['a'] }) n!: number;
    }
    for (const dto of [WithEmail, WithDefaultMessage, WithValidateIf, WithCondition, WithGroups]) {
      expect(() => compileDtoValidator(dto)).toThrow();
    }
  });
});
