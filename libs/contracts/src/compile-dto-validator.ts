// The fast path of push validation: a DTO's class-validator rules, read once from class-validator's
// metadata storage and compiled into plain checks over a parsed JSON body. class-validator stays
// the source of the rules (a rule changed on a DTO changes this path too); what is hand-written is
// only what each constraint means, for the constraints the push DTOs use. An unsupported decorator
// or option makes compilation throw at start-up rather than check something else silently.
//
// Semantics reproduced (class-validator 0.15 ValidationExecutor, validateSync with
// { forbidUnknownValues: false, stopAtFirstError: true }): properties in metadata order; a property
// whose IsOptional condition fails (null / undefined) is skipped; IsDefined runs before the other
// constraints; per property the first failing constraint is the reason; `each` validates every
// item of an array value, or the value itself when it is not an array.
// validate-push.equivalence.spec.ts proves it equal to class-validator over generated bodies.
import { getMetadataStorage, ValidationTypes, type MetadataStorage } from 'class-validator';
import { IS_EVENT_TIME, isEventTimeValue } from './push-field.decorators.js';
import type { PushViolation } from './push-violation.js';

type Check = (value: unknown) => boolean;
type ValidationMetadata = ReturnType<MetadataStorage['getTargetValidationMetadatas']>[number];

interface CompiledConstraint {
  readonly check: Check;
  readonly each: boolean;
  readonly message: string;
}

interface CompiledProperty {
  readonly name: string;
  readonly optional: boolean;
  /** IsDefined first, then the others, in registration order */
  readonly constraints: readonly CompiledConstraint[];
}

/** The violations of a body (an empty array when it is valid). */
export type CompiledDtoValidator = (body: Readonly<Record<string, unknown>>) => PushViolation[];

const PRESENTATION_SEQUENCES = /[^\uFE0F\uFE0E][\uFE0F\uFE0E]/g;
const SURROGATE_PAIRS = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;

/**
 * validator.js isLength, as class-validator's Length / MaxLength use it: a surrogate pair, and a
 * character followed by a variation selector, count as one character. Every match removes one
 * character of index ≥ 1, so a non-empty string has length ≥ 1 and length ≤ string.length: the
 * regular expressions run only when `s.length` alone cannot decide.
 */
export function lengthWithin(s: string, min: number, max: number | undefined): boolean {
  const raw = s.length;
  if (raw < min) return false;
  if ((max === undefined || raw <= max) && (min <= 0 || (min === 1 && raw >= 1))) return true;
  const len = raw - (s.match(PRESENTATION_SEQUENCES)?.length ?? 0) - (s.match(SURROGATE_PAIRS)?.length ?? 0);
  return len >= min && (max === undefined || len <= max);
}

const isInteger: Check = (v) => typeof v === 'number' && Number.isInteger(v);

function constraintCheck(m: ValidationMetadata, where: string): Check {
  const c = (m.constraints ?? []) as unknown[];
  const num = (i: number): number => {
    const x = c[i];
    if (typeof x !== 'number') throw new Error(`${where}: ${m.name} constraint ${i} is not a number`);
    return x;
  };
  switch (m.name) {
    case 'isDefined':
      return (v) => v !== undefined && v !== null;
    case 'isString':
      return (v) => typeof v === 'string';
    case 'isInt':
      return isInteger;
    case 'isArray':
      return Array.isArray;
    case 'arrayMaxSize': {
      const max = num(0);
      return (v) => Array.isArray(v) && v.length <= max;
    }
    case 'min': {
      const min = num(0);
      return (v) => typeof v === 'number' && v >= min;
    }
    case 'max': {
      const max = num(0);
      return (v) => typeof v === 'number' && v <= max;
    }
    case 'isLength': {
      const min = num(0);
      const max = c[1] === undefined || c[1] === null ? undefined : num(1);
      return (v) => typeof v === 'string' && lengthWithin(v, min, max);
    }
    case 'maxLength': {
      const max = num(0);
      return (v) => typeof v === 'string' && lengthWithin(v, 0, max);
    }
    case IS_EVENT_TIME:
      return isEventTimeValue;
    default:
      throw new Error(`${where}: the fast path does not know the constraint ${String(m.name)}`);
  }
}

function compileConstraint(m: ValidationMetadata, where: string): CompiledConstraint {
  if (m.validateIf) throw new Error(`${where}: validateIf is not supported by the fast path`);
  if (typeof m.message !== 'string' || m.message.includes('$')) {
    throw new Error(`${where}: ${m.name} needs a plain string message (no $ tokens) for the fast path`);
  }
  const async = getMetadataStorage()
    .getTargetValidatorConstraints(m.constraintCls)
    .some((cm) => cm.async);
  if (async) throw new Error(`${where}: async constraints are not supported`);
  return { check: constraintCheck(m, where), each: m.each === true, message: m.message };
}

/** Compiles the rules registered on a DTO class. Throws on anything it cannot reproduce exactly. */
export function compileDtoValidator(dto: abstract new () => object): CompiledDtoValidator {
  const metadatas = getMetadataStorage().getTargetValidationMetadatas(dto, '', false, false, undefined);
  if (metadatas.length === 0) throw new Error(`${dto.name}: no class-validator metadata`);
  const byProperty = new Map<string, ValidationMetadata[]>();
  for (const m of metadatas) {
    const where = `${dto.name}.${m.propertyName}`;
    if ((m.groups && m.groups.length > 0) || m.always !== undefined) {
      throw new Error(`${where}: groups / always are not supported by the fast path`);
    }
    if (m.context !== undefined) throw new Error(`${where}: context is not supported by the fast path`);
    const list = byProperty.get(m.propertyName) ?? [];
    list.push(m);
    byProperty.set(m.propertyName, list);
  }

  const properties: CompiledProperty[] = [];
  for (const [name, list] of byProperty) {
    const where = `${dto.name}.${name}`;
    let optional = false;
    const defined: CompiledConstraint[] = [];
    const custom: CompiledConstraint[] = [];
    for (const m of list) {
      switch (m.type) {
        case ValidationTypes.CONDITIONAL_VALIDATION:
          if (m.name !== 'isOptional') throw new Error(`${where}: only IsOptional is supported as a condition`);
          optional = true;
          break;
        case ValidationTypes.IS_DEFINED:
          defined.push(compileConstraint(m, where));
          break;
        case ValidationTypes.CUSTOM_VALIDATION:
          custom.push(compileConstraint(m, where));
          break;
        default:
          throw new Error(`${where}: validation type ${m.type} is not supported by the fast path`);
      }
    }
    properties.push({ name, optional, constraints: [...defined, ...custom] });
  }

  return (body) => {
    let violations: PushViolation[] | undefined;
    for (let p = 0; p < properties.length; p++) {
      const property = properties[p]!;
      const value = body[property.name];
      if (property.optional && (value === undefined || value === null)) continue;
      const constraints = property.constraints;
      for (let i = 0; i < constraints.length; i++) {
        const c = constraints[i]!;
        const ok = c.each && Array.isArray(value) ? value.every(c.check) : c.check(value);
        if (!ok) {
          (violations ??= []).push({ field: property.name, reason: c.message });
          break;
        }
      }
    }
    return violations ?? [];
  };
}
