import type { CallView } from '#call-session-domain';
import { CALL_EVENTS_TOPIC, CALLS_FINALIZED_TOPIC, type CallEventEnvelope } from '#contracts';
import type { OutboxMessage, StoredEvent } from '#event-store';

/** Events after which downstream gets the call's view on the finalised topic (contract §5). */
const FINALISING_EVENTS = new Set(['CallFinalised', 'CallReconciled', 'CallForceFinalised']);

export function callEventEnvelope(event: StoredEvent, accountId: string | null): CallEventEnvelope {
  return {
    eventId: event.eventId,
    type: event.type,
    callId: event.streamId,
    accountId,
    version: event.version,
    position: event.position,
    occurredAt: event.occurredAt.toISOString(),
    recordedAt: event.recordedAt.toISOString(),
    data: event.data,
  };
}

/** Every event of a commit on the call-events topic (what the admin republish enqueues again). */
export function callEventMessages(callId: string, events: StoredEvent[], accountId: string | null): OutboxMessage[] {
  return events.map((event) => ({
    topic: CALL_EVENTS_TOPIC,
    key: callId,
    value: callEventEnvelope(event, accountId),
    headers: { 'event-id': event.eventId, 'event-type': event.type },
  }));
}

/**
 * The outbox rows of a live commit: the view as it stands after the commit, on the finalised
 * topic, when the commit finalised or re-reconciled the call. The call events themselves go to
 * Kafka from the event log (outbox-relay/call-event-log.ts), not through outbox rows.
 */
export function finalizedViewMessages(callId: string, events: StoredEvent[], view: CallView): OutboxMessage[] {
  const finalising = events.filter((e) => FINALISING_EVENTS.has(e.type)).at(-1);
  if (!finalising) return [];
  return [
    {
      topic: CALLS_FINALIZED_TOPIC,
      key: callId,
      value: view,
      headers: { 'event-id': finalising.eventId, 'event-type': finalising.type },
    },
  ];
}
