// Validation of the two pushes (contract §1: strict on structure, lenient on vocabulary), then
// normalisation to the domain's pushes. Synchronous.
// - validateStatusPush / validateCdrPush: the hot path. The DTOs' class-validator rules, compiled
//   once into plain checks (compile-dto-validator.ts), then normalise-push.ts.
// - validateStatusPushWithClassValidator / validateCdrPushWithClassValidator: the same through
//   class-validator itself (plainToInstance + validateSync): the reference the fast path is proven
//   equal to (validate-push.equivalence.spec.ts), and a fallback.
// Both take a parsed JSON body; a body that is not a JSON object is the HTTP layer's INVALID_JSON
// (check isJsonObject first); given one anyway they answer a violation of the field "(body)".
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import type { CdrPush, StatusPush } from '../../call-session-domain/src/domain/push.js';
import { CdrPushRequestDto } from './cdr-push.request.dto.js';
import { compileDtoValidator } from './compile-dto-validator.js';
import { normaliseCdrPush, normaliseStatusPush, type CdrPushBody, type StatusPushBody } from './normalise-push.js';
import type { PushViolation } from './push-violation.js';
import { StatusPushRequestDto } from './status-push.request.dto.js';

export type PushValidationResult<T> = { ok: true; push: T } | { ok: false; violations: PushViolation[] };

/** The field name of the violation given for a body that is not a JSON object. */
export const BODY_FIELD = '(body)';

/** class-validator options of the reference path (and the semantics the fast path reproduces). */
export const PUSH_VALIDATOR_OPTIONS = Object.freeze({
  forbidUnknownValues: false,
  stopAtFirstError: true,
  validationError: { target: false, value: false },
});

/**
 * A JSON object: not null, not an array, a plain object (its prototype is null or a root
 * `Object.prototype`, of any realm: JSON.parse, structuredClone and vm contexts all qualify).
 */
export function isJsonObject(body: unknown): body is Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const proto = Object.getPrototypeOf(body) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

const NOT_AN_OBJECT: readonly PushViolation[] = Object.freeze([
  Object.freeze({ field: BODY_FIELD, reason: 'must be a JSON object' }),
]);
const notAnObject = (): { ok: false; violations: PushViolation[] } => ({
  ok: false,
  violations: NOT_AN_OBJECT.map((v) => ({ ...v })),
});

const statusViolations = compileDtoValidator(StatusPushRequestDto);
const cdrViolations = compileDtoValidator(CdrPushRequestDto);

/** The rule violations of a status push body (fast path); empty when valid. */
export function statusPushViolations(body: Readonly<Record<string, unknown>>): PushViolation[] {
  return statusViolations(body);
}

/** The rule violations of a CDR push body (fast path); empty when valid. */
export function cdrPushViolations(body: Readonly<Record<string, unknown>>): PushViolation[] {
  return cdrViolations(body);
}

export function validateStatusPush(body: unknown): PushValidationResult<StatusPush> {
  if (!isJsonObject(body)) return notAnObject();
  const violations = statusViolations(body);
  if (violations.length > 0) return { ok: false, violations };
  return { ok: true, push: normaliseStatusPush(body as unknown as StatusPushBody) };
}

export function validateCdrPush(body: unknown): PushValidationResult<CdrPush> {
  if (!isJsonObject(body)) return notAnObject();
  const violations = cdrViolations(body);
  if (violations.length > 0) return { ok: false, violations };
  return { ok: true, push: normaliseCdrPush(body as unknown as CdrPushBody) };
}

const toViolations = (errors: ValidationError[]): PushViolation[] =>
  errors.map((e) => ({ field: e.property, reason: Object.values(e.constraints ?? {}).join('; ') }));

/** The rule violations of a body according to class-validator itself (the reference path). */
export function classValidatorViolations(
  dto: typeof StatusPushRequestDto | typeof CdrPushRequestDto,
  body: Readonly<Record<string, unknown>>,
): PushViolation[] {
  const instance = plainToInstance<object, object>(dto, body);
  return toViolations(validateSync(instance, PUSH_VALIDATOR_OPTIONS));
}

export function validateStatusPushWithClassValidator(body: unknown): PushValidationResult<StatusPush> {
  if (!isJsonObject(body)) return notAnObject();
  const violations = classValidatorViolations(StatusPushRequestDto, body);
  if (violations.length > 0) return { ok: false, violations };
  return { ok: true, push: normaliseStatusPush(body as unknown as StatusPushBody) };
}

export function validateCdrPushWithClassValidator(body: unknown): PushValidationResult<CdrPush> {
  if (!isJsonObject(body)) return notAnObject();
  const violations = classValidatorViolations(CdrPushRequestDto, body);
  if (violations.length > 0) return { ok: false, violations };
  return { ok: true, push: normaliseCdrPush(body as unknown as CdrPushBody) };
}
