// Call status push, `POST /v1/push/status` (spec §4; contract §1). Every field of the spec's
// example. Fields not listed here are allowed, whatever their type, and kept in the stored raw push.
// The upstream extras of enumerations.md (outId, phoneNoE, …) are not validated either, but are part
// of the push's content (normalise-push.ts, UPSTREAM_FIELDS); other unknown fields take no part.
// An optional field sent as null counts as absent.
import {
  OptionalInteger,
  OptionalIntegerArray,
  OptionalString,
  RequiredEventTime,
  RequiredId,
  RequiredInteger,
  USER_DATA_MAX_LENGTH,
} from './push-field.decorators.js';

export class StatusPushRequestDto {
  @RequiredId() accountId!: string;
  @RequiredId() callId!: string;
  /** 1 INITIATED, 2 RINGING, 3 ANSWERED, 4 HUNG_UP; other codes accepted and flagged */
  @RequiredInteger() eventType!: number;
  /** epoch seconds, a string of digits (a JSON integer is accepted too) */
  @RequiredEventTime() eventTime!: string | number;

  @OptionalInteger() serviceType?: number | null;
  @OptionalString() caller?: string | null;
  @OptionalString() callee?: string | null;
  /** the statuses of a normal answered-then-hung-up call */
  @OptionalIntegerArray() allEventType?: number[] | null;
  /** informative only: the endpoint decides the kind of push */
  @OptionalInteger() messageType?: number | null;
  @OptionalString() phoneNoX?: string | null;
  @OptionalString() phoneNoA?: string | null;
  @OptionalString() phoneNoB?: string | null;
  /** 1 calling side (A), 2 called side (B); two-way calls */
  @OptionalInteger() party?: number | null;
  @OptionalString() subscriptionId?: string | null;
  @OptionalString(USER_DATA_MAX_LENGTH) userData?: string | null;
}
