// OpenAPI schemas of the two push bodies, derived from the class-validator rules of the DTOs in
// libs/contracts (the same rules ingestion validates with), so the documentation cannot drift from
// the validation. Bodies reach the controllers raw (see raw-body.parser.ts), so Nest's usual
// `@ApiBody({ type: Dto })` would document nothing: the DTOs carry no @ApiProperty.
import type { SchemaObject } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';
import { CdrPushRequestDto, IS_EVENT_TIME, MAX_TIME_MS, StatusPushRequestDto } from '#contracts';

type Dto = new () => object;

/** Field notes the rules cannot say (units, vocabularies), from the contract and the spec. */
const DESCRIPTIONS: Record<string, string> = {
  eventType: '1 INITIATED, 2 RINGING, 3 ANSWERED, 4 HUNG_UP; other codes are accepted and flagged UNKNOWN_ENUM_VALUE',
  eventTime: 'epoch seconds, a string of digits (a JSON integer is accepted too); a 13-digit value is normalised and flagged',
  serviceType: '100 VOICE_SIP, 200 PRIVACY_NUMBER; other codes are accepted and flagged',
  party: '1 calling side (A), 2 called side (B); two-way calls',
  messageType: 'informative only: the endpoint decides the kind of push',
  beginCallTime: 'epoch milliseconds',
  ringTime: 'epoch milliseconds; 0 = did not ring',
  startTime: 'epoch milliseconds; 0 = not answered',
  endTime: 'epoch milliseconds',
  cdrCreateTime: 'epoch milliseconds; of two revisions of one CDR the later is authoritative',
  callDuration: 'talk time, seconds',
  callResult: '1 connected; -1 other; see enumerations.md',
  cdrType: '1 call, 2 SMS; 1 when absent',
};

export function pushBodySchema(dto: Dto, description: string): SchemaObject {
  const storage = getMetadataStorage();
  const properties: Record<string, SchemaObject> = {};
  const required: string[] = [];
  for (const rule of storage.getTargetValidationMetadatas(dto, '', true, false)) {
    const field = rule.propertyName;
    const p = (properties[field] ??= DESCRIPTIONS[field] ? { description: DESCRIPTIONS[field] } : {});
    const args = (rule.constraints ?? []) as number[];
    switch (rule.name) {
      case 'isDefined':
        required.push(field);
        break;
      case 'isOptional':
        p.nullable = true;
        break;
      case 'isString':
        p.type = 'string';
        break;
      case 'isLength':
        p.minLength = args[0];
        if (args[1] !== undefined) p.maxLength = args[1];
        break;
      case 'maxLength':
        p.maxLength = args[0];
        break;
      case 'isArray':
        p.type = 'array';
        break;
      case 'arrayMaxSize':
        p.maxItems = args[0];
        break;
      case 'isInt':
        if (rule.each) {
          p.type = 'array';
          p.items = { type: 'integer' };
        } else {
          p.type = 'integer';
        }
        break;
      case 'min':
        p.minimum = args[0];
        break;
      case 'max':
        p.maximum = args[0];
        break;
      case IS_EVENT_TIME:
        p.oneOf = [
          { type: 'string', pattern: '^[0-9]+$', description: `digits, at most ${MAX_TIME_MS}` },
          { type: 'integer', minimum: 0, maximum: MAX_TIME_MS },
        ];
        break;
      default:
        break;
    }
  }
  return {
    type: 'object',
    description,
    required,
    properties,
    // Unknown fields are kept in the stored raw push and ignored by the domain.
    additionalProperties: true,
  };
}

export const statusPushSchema = pushBodySchema(
  StatusPushRequestDto,
  'One call status push (spec §4). Unknown fields are accepted, kept raw and ignored.',
);
export const cdrPushSchema = pushBodySchema(
  CdrPushRequestDto,
  'One CDR push (spec §3). Unknown fields are accepted, kept raw and ignored.',
);
