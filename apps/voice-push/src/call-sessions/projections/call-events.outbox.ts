import type { CallView } from '#call-session-domain';
import { CALLS_FINALIZED_TOPIC, EVENT_ID_HEADER, EVENT_TYPE_HEADER } from '#contracts';
import type { OutboxMessage, StoredEvent } from '#event-store';

/**
 * The outbox rows of a commit: the view as it stands after the commit, on the finalised topic,
 * when the call is finalised after it (contract §5: every finalisation or re-reconciliation after
 * it). Every event changes the view (its version at least), so a finalised call's view goes out
 * after every commit that appended to it — also after one that re-reconciled nothing, such as a
 * second record (an SMS record beside the call record, which can take over the call's outcome):
 * what downstream read last is always the view GET /v1/calls/{callId} serves. Headed by the
 * commit's last event (the finalisation or re-reconciliation when there is one: they come last).
 * The call events themselves go to Kafka from the event log (outbox-relay/call-event-log.ts).
 */
export function finalizedViewMessages(callId: string, events: StoredEvent[], view: CallView): OutboxMessage[] {
  const last = events.at(-1);
  if (!last || view.status === 'OPEN') return [];
  return [
    {
      topic: CALLS_FINALIZED_TOPIC,
      key: callId,
      value: view,
      headers: { [EVENT_ID_HEADER]: last.eventId, [EVENT_TYPE_HEADER]: last.type },
    },
  ];
}
