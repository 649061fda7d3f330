import type { CallView } from '#call-session-domain';
import { CALLS_FINALIZED_TOPIC, EVENT_ID_HEADER, EVENT_TYPE_HEADER } from '#contracts';
import type { OutboxMessage, StoredEvent } from '#event-store';

/** Events after which downstream gets the call's view on the finalised topic (contract §5). */
const FINALISING_EVENTS = new Set(['CallFinalised', 'CallReconciled', 'CallForceFinalised']);

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
      headers: { [EVENT_ID_HEADER]: finalising.eventId, [EVENT_TYPE_HEADER]: finalising.type },
    },
  ];
}
