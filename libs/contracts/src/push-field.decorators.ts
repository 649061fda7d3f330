// The rule vocabulary of the two push DTOs (contract §1), built from class-validator decorators.
// Each composed decorator registers its class-validator rules in a fixed order: the order the rules
// are checked in, and (with stopAtFirstError) the one a violation reports. Messages are plain
// strings without `$` tokens, so the compiled fast path (compile-dto-validator.ts) can report them
// word for word.
import { ArrayMaxSize, IsArray, IsDefined, IsInt, IsOptional, IsString, Length, Max, MaxLength, Min, ValidateBy } from 'class-validator';

/** Largest duration accepted: beyond it a JSON number is no longer an exact integer. */
export const MAX_PUSH_INTEGER = Number.MAX_SAFE_INTEGER;
/**
 * Latest time accepted (epoch ms, year 275760): the latest a JavaScript Date holds. A later one
 * passed validation and then failed every write of its call (its view's date), so the push was
 * answered 500 on every retry and lost, where a 400 keeps it as rejected.
 */
export const MAX_TIME_MS = 8.64e15;
/** accountId, callId: 1–128 characters. */
export const ID_MAX_LENGTH = 128;
/** userData: at most 2048 characters (spec §6.3). */
export const USER_DATA_MAX_LENGTH = 2048;
/** allEventType: at most 16 codes (the spec lists 4 status events; room for new ones, not for floods). */
export const EVENT_TYPES_MAX_SIZE = 16;

/** Name of the custom class-validator constraint of `eventTime`. */
export const IS_EVENT_TIME = 'isEventTime';

const DIGITS = /^[0-9]+$/;

/**
 * `eventTime` on the wire: a string of ASCII digits (the spec) or a JSON integer (accepted too),
 * ≥ 0 and ≤ MAX_TIME_MS (as seconds, any such value is earlier). No other coercion: " 1", "1.0",
 * "12a", "" and 1.5 fail.
 */
export function isEventTimeValue(value: unknown): value is string | number {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= MAX_TIME_MS;
  if (typeof value === 'string') return DIGITS.test(value) && Number(value) <= MAX_TIME_MS;
  return false;
}

export const PUSH_FIELD_MESSAGES = {
  required: 'is required',
  string: 'must be a string',
  id: `must be 1 to ${ID_MAX_LENGTH} characters`,
  maxLength: (n: number): string => `must be at most ${n} characters`,
  integer: 'must be an integer',
  nonNegative: 'must not be negative',
  maxInteger: `must not exceed ${MAX_PUSH_INTEGER}`,
  maxTime: `must not exceed ${MAX_TIME_MS} (epoch ms of the latest date a time can hold)`,
  array: 'must be an array of integers',
  arrayMaxSize: (n: number): string => `must have at most ${n} elements`,
  eachInteger: 'must contain only integers',
  eventTime: `must be a string of digits or a non-negative integer (epoch seconds), at most ${MAX_TIME_MS}`,
} as const;

const all =
  (...decorators: PropertyDecorator[]): PropertyDecorator =>
  (target, key) => {
    for (const decorate of decorators) decorate(target, key);
  };

/** accountId, callId: a required string of 1–128 characters. */
export const RequiredId = (): PropertyDecorator =>
  all(
    IsDefined({ message: PUSH_FIELD_MESSAGES.required }),
    IsString({ message: PUSH_FIELD_MESSAGES.string }),
    Length(1, ID_MAX_LENGTH, { message: PUSH_FIELD_MESSAGES.id }),
  );

/** An optional string (null = absent), with an optional maximum length. */
export const OptionalString = (maxLength?: number): PropertyDecorator =>
  maxLength === undefined
    ? all(IsOptional(), IsString({ message: PUSH_FIELD_MESSAGES.string }))
    : all(IsOptional(), IsString({ message: PUSH_FIELD_MESSAGES.string }), MaxLength(maxLength, { message: PUSH_FIELD_MESSAGES.maxLength(maxLength) }));

/** A required integer: enumeration codes (any integer, unknown ones are flagged, not rejected). */
export const RequiredInteger = (): PropertyDecorator =>
  all(IsDefined({ message: PUSH_FIELD_MESSAGES.required }), IsInt({ message: PUSH_FIELD_MESSAGES.integer }));

/** An optional integer (null = absent): enumeration codes. */
export const OptionalInteger = (): PropertyDecorator => all(IsOptional(), IsInt({ message: PUSH_FIELD_MESSAGES.integer }));

const nonNegativeInteger = (max: number, message: string): PropertyDecorator =>
  all(IsInt({ message: PUSH_FIELD_MESSAGES.integer }), Min(0, { message: PUSH_FIELD_MESSAGES.nonNegative }), Max(max, { message }));

/** A required integer 0 … MAX_SAFE_INTEGER: callDuration (s). */
export const RequiredNonNegativeInteger = (): PropertyDecorator =>
  all(IsDefined({ message: PUSH_FIELD_MESSAGES.required }), nonNegativeInteger(MAX_PUSH_INTEGER, PUSH_FIELD_MESSAGES.maxInteger));

/** A required CDR time, epoch ms 0 … MAX_TIME_MS: beginCallTime, endTime. */
export const RequiredTime = (): PropertyDecorator =>
  all(IsDefined({ message: PUSH_FIELD_MESSAGES.required }), nonNegativeInteger(MAX_TIME_MS, PUSH_FIELD_MESSAGES.maxTime));

/** An optional CDR time, epoch ms 0 … MAX_TIME_MS (null = absent): ringTime, startTime, cdrCreateTime. */
export const OptionalTime = (): PropertyDecorator => all(IsOptional(), nonNegativeInteger(MAX_TIME_MS, PUSH_FIELD_MESSAGES.maxTime));

/** An optional array of at most `maxSize` integers (null = absent): allEventType. */
export const OptionalIntegerArray = (maxSize: number = EVENT_TYPES_MAX_SIZE): PropertyDecorator =>
  all(
    IsOptional(),
    IsArray({ message: PUSH_FIELD_MESSAGES.array }),
    ArrayMaxSize(maxSize, { message: PUSH_FIELD_MESSAGES.arrayMaxSize(maxSize) }),
    IsInt({ each: true, message: PUSH_FIELD_MESSAGES.eachInteger }),
  );

/** The status push's eventTime: required, see isEventTimeValue. */
export const RequiredEventTime = (): PropertyDecorator =>
  all(
    IsDefined({ message: PUSH_FIELD_MESSAGES.required }),
    ValidateBy(
      { name: IS_EVENT_TIME, validator: { validate: (value): boolean => isEventTimeValue(value) } },
      { message: PUSH_FIELD_MESSAGES.eventTime },
    ),
  );
