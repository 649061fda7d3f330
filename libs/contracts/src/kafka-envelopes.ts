// What downstream consumers read from Kafka (contract §5).

/** Every domain event, key `callId`, value a CallEventEnvelope. */
export const CALL_EVENTS_TOPIC = 'voice.call-events.v1';
/** The call view (contract §3) after every finalisation or re-reconciliation, key `callId`. */
export const CALLS_FINALIZED_TOPIC = 'voice.calls.finalized.v1';

/** Header carrying the event's id (consumers dedupe by it: delivery is at least once). */
export const EVENT_ID_HEADER = 'event-id';
/** Header carrying the event's type name. */
export const EVENT_TYPE_HEADER = 'event-type';

export interface CallEventHeaders {
  [EVENT_ID_HEADER]: string;
  [EVENT_TYPE_HEADER]: string;
}

/** The value on CALL_EVENTS_TOPIC: one stored domain event. */
export interface CallEventEnvelope<TType extends string = string, TData = unknown> {
  /** uuid given at append; consumers dedupe by it */
  eventId: string;
  /** the stored event type name, e.g. "CdrRecorded" */
  type: TType;
  callId: string;
  /** null only when the call's account is not known yet */
  accountId: string | null;
  /** the event's version in its call's stream (1, 2, …): per-call order */
  version: number;
  /** global position in the event store, a bigint as a decimal string */
  position: string;
  /** ISO-8601 */
  occurredAt: string;
  /** ISO-8601 */
  recordedAt: string;
  data: TData;
}
