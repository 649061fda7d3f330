// The OpenAPI schemas of what the service answers, beyond the push bodies (push-schemas.ts): the
// call view of contract §3, the `{error, message}` body of every refusal, the admin's jobs and
// rejected pushes, a push's acceptance. Kept in step with the view's type (call-view.ts) by the e2e
// tests that hold real answers to these schemas, field by field.
import type { SchemaObject } from '@nestjs/swagger';
import { CALL_FLAGS, CALL_SESSION_STATUSES, CALL_STATES, FINDING_CODES, FINDING_SEVERITIES, RECONCILIATION_STATUSES } from '#call-session-domain';
import { JOB_STATUSES } from '../admin/background-jobs.js';

const text = (nullable = false): SchemaObject => ({ type: 'string', ...(nullable ? { nullable: true } : {}) });
const integer = (nullable = false): SchemaObject => ({ type: 'integer', ...(nullable ? { nullable: true } : {}) });
/** an ISO-8601 instant, as the view writes every time */
const instant = (nullable = false): SchemaObject => ({ type: 'string', format: 'date-time', ...(nullable ? { nullable: true } : {}) });

function object(properties: Record<string, SchemaObject>, nullable = false): SchemaObject {
  return { type: 'object', required: Object.keys(properties), properties, ...(nullable ? { nullable: true } : {}) };
}

const CALL_VIEW_EVENT = object({
  eventType: integer(),
  name: text(true),
  party: integer(true),
  eventTime: instant(),
  receivedAt: instant(),
  late: { type: 'boolean' },
});

const CALL_VIEW_CDR = object(
  {
    cdrType: integer(),
    serviceType: integer(),
    subServiceType: integer(true),
    accountId: text(),
    caller: text(true),
    callee: text(true),
    beginCallTime: instant(true),
    ringTime: instant(true),
    startTime: instant(true),
    endTime: instant(true),
    callDuration: integer(),
    callResult: integer(true),
    releaseType: integer(true),
    cdrCreateTime: instant(true),
    subscriptionId: text(true),
    phoneNoX: text(true),
    phoneNoA: text(true),
    phoneNoB: text(true),
    secretCallType: integer(true),
    callDisplayType: integer(true),
    audioRecordFlag: integer(true),
    userData: text(true),
  },
  true,
);

const FINDING: SchemaObject = {
  type: 'object',
  required: ['code', 'severity', 'message'],
  properties: {
    code: { type: 'string', enum: [...FINDING_CODES] },
    severity: { type: 'string', enum: [...FINDING_SEVERITIES] },
    message: text(),
    expected: { description: 'what the rule expected (any JSON), when it says' },
    actual: { description: 'what it found (any JSON), when it says' },
  },
};

/** contract §3: the call view, as GET /v1/calls/{callId} answers it */
export const CALL_VIEW_SCHEMA: SchemaObject = {
  ...object({
    callId: text(),
    accountId: text(),
    serviceType: integer(true),
    subscriptionId: text(true),
    caller: text(true),
    callee: text(true),
    status: { type: 'string', enum: [...CALL_SESSION_STATUSES] },
    callState: { type: 'string', enum: [...CALL_STATES] },
    legs: object({ A: { type: 'string', enum: [...CALL_STATES] }, B: { type: 'string', enum: [...CALL_STATES] } }),
    events: { type: 'array', items: CALL_VIEW_EVENT },
    cdr: CALL_VIEW_CDR,
    outcome: object({ callResult: integer(true), name: text(true), durationSeconds: integer() }, true),
    privacy: object({ phoneNoX: text(true), phoneNoA: text(true), phoneNoB: text(true), secretCallType: integer(true) }, true),
    reconciliation: object({ status: { type: 'string', enum: [...RECONCILIATION_STATUSES] }, findings: { type: 'array', items: FINDING } }),
    flags: { type: 'array', items: { type: 'string', enum: [...CALL_FLAGS] } },
    userData: text(true),
    version: integer(),
    openedAt: instant(),
    finalizedAt: instant(true),
  }),
  description: 'the call view (contract §3)',
};

/** Every refusal of the queries and the admin: `{error, message}`, with `violations` for a bad query or body. */
export const ERROR_BODY_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', example: 'NOT_FOUND' },
    message: text(),
    violations: {
      type: 'array',
      items: { type: 'object', required: ['field', 'reason'], properties: { field: text(), reason: text() } },
    },
  },
};

/** A whole number query parameter from 1 to `max`, `fallback` when absent (decimal digits only). */
export const pageLimitParameter = (max: number, fallback: number) =>
  ({
    name: 'limit',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: max, default: fallback },
    description: `items per page, 1–${max} (default ${fallback})`,
  }) as const;

/** A background admin job as `GET …/{jobId}` shows it; its own progress counters beside these. */
export const ADMIN_JOB_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['id', 'status', 'startedAt', 'finishedAt', 'error'],
  properties: {
    id: text(),
    status: { type: 'string', enum: [...JOB_STATUSES] },
    startedAt: instant(),
    finishedAt: instant(true),
    error: text(true),
  },
  additionalProperties: true,
};

/** The 202 of a job's start: its id (`jobId`) and its progress so far. */
export const ADMIN_JOB_STARTED_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['jobId', 'status'],
  properties: { jobId: text(), status: { type: 'string', enum: ['running'] } },
  additionalProperties: true,
};

/** contract §4: an item of the rejected-push store */
export const REJECTED_PUSH_SCHEMA: SchemaObject = object({
  id: text(),
  kind: { type: 'string', enum: ['status', 'cdr'] },
  reason: text(),
  violations: { type: 'array', items: { type: 'object' }, nullable: true },
  rawBody: text(true),
  count: integer(),
  firstSeenAt: instant(),
  lastSeenAt: instant(),
  statusCode: integer(),
  contentType: text(true),
  bodyBytes: integer(),
  truncated: { type: 'boolean' },
  replayedAt: instant(true),
});

/** A JSON object request body with the given optional (or `required`) properties. */
export const jsonBody = (properties: Record<string, SchemaObject>, required: string[] = []) => ({
  required: required.length > 0,
  schema: { type: 'object', properties, ...(required.length > 0 ? { required } : {}) } as SchemaObject,
});

/** contract §1: a push stored, or already stored (a retry); the admin's replay answers the same */
export const PUSH_ACCEPTED_SCHEMA: SchemaObject = object({ accepted: { type: 'boolean' }, duplicate: { type: 'boolean' }, callId: text() });
