import { Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { evolve, initialState, isFinalised, type CallSessionEvent, type CallSessionState } from '#call-session-domain';
import { CALL_EVENTS_TOPIC, CALLS_FINALIZED_TOPIC } from '#contracts';
import { insertOutboxMessages, toStoredEvent, type EventRow as StoredEventRow, type OutboxMessage } from '#event-store';
import { outboxMessagesFor } from '../../call-sessions/projections/call-events.outbox.js';
import { OutboxRelayService } from '../../outbox-relay/outbox-relay.service.js';

const EVENTS_PER_BATCH = 1_000;
/** The events after which the finalised topic carries the call's view (as call-events.outbox.ts). */
const FINALISING = new Set(['CallFinalised', 'CallReconciled', 'CallForceFinalised']);

export interface RepublishResult {
  fromPosition: string;
  /** the highest position when the republish began: later events have their own outbox rows */
  toPosition: string;
  events: number;
  enqueued: number;
  callEvents: number;
  finalizedViews: number;
}

/** An event row with the transaction it committed in (to find what one commit wrote). */
interface EventRow extends StoredEventRow {
  transaction_id: string;
}

const SELECT = `position::text AS position, event_id, stream_id, version, type, data, metadata, occurred_at,
  recorded_at, transaction_id::text AS transaction_id`;


/**
 * Re-enqueues outbox rows for every committed event with position > N, re-derived with the live
 * path's own `outboxMessagesFor`:
 * - `voice.call-events.v1`: one row per event, the envelope exactly as first sent (the same
 *   eventId, so consumers dedupe; accountId from the state after the event's own commit, the
 *   commit found by the event's transaction id);
 * - `voice.calls.finalized.v1`: one row per call that is finalised, with its current view (as of
 *   the republish), headed by its latest finalising event — in the batch holding the call's last
 *   event, so after that call's call-events rows (per-key order).
 * Walks positions (primary key) in batches of EVENTS_PER_BATCH up to the highest position at the
 * start; each batch's rows go in in one transaction. A position-range walk is right here (unlike a
 * follower of the log): an event still uncommitted at the start gets its outbox rows from its own
 * append. Sent by the relay when Kafka is configured; otherwise they wait in the outbox.
 */
@Injectable()
export class OutboxRepublisher {
  private readonly logger = new Logger('OutboxRepublish');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Optional() private readonly relay?: OutboxRelayService,
  ) {}

  async republish(fromPosition: string): Promise<RepublishResult> {
    const [{ hi }] = (await this.db.query(`SELECT coalesce(max(position), 0)::text AS hi FROM events`)) as { hi: string }[];
    const result: RepublishResult = { fromPosition, toPosition: hi, events: 0, enqueued: 0, callEvents: 0, finalizedViews: 0 };
    let cursor = fromPosition;
    for (;;) {
      const batch: EventRow[] = await this.db.query(
        // e.position: ordering by the text alias `position` would sort '10' before '9'
        `SELECT ${SELECT} FROM events e WHERE e.position > $1::bigint AND e.position <= $2::bigint ORDER BY e.position LIMIT $3`,
        [cursor, hi, EVENTS_PER_BATCH],
      );
      if (batch.length === 0) break;
      cursor = batch.at(-1)!.position;
      const messages = await this.messagesFor(batch, hi, result);
      if (messages.length > 0) {
        await this.db.transaction(async (tx) => {
          await insertOutboxMessages({ query: (sql, params) => tx.query(sql, params) }, messages);
        });
        this.relay?.poke();
      }
      result.events += batch.length;
      result.enqueued += messages.length;
    }
    this.logger.log(
      `republished positions (${fromPosition}, ${hi}]: ${result.events} events → ${result.callEvents} call-events rows, ` +
        `${result.finalizedViews} finalised views`,
    );
    return result;
  }

  private async messagesFor(batch: EventRow[], hi: string, result: RepublishResult): Promise<OutboxMessage[]> {
    const inBatch = new Set(batch.map((e) => e.position));
    const streamIds = [...new Set(batch.map((e) => e.stream_id))];
    const all: EventRow[] = await this.db.query(
      `SELECT ${SELECT} FROM events e WHERE e.stream_id = ANY($1::text[]) AND e.position <= $2::bigint ORDER BY e.stream_id, e.version`,
      [streamIds, hi],
    );
    const byStream = new Map<string, EventRow[]>();
    for (const e of all) byStream.set(e.stream_id, [...(byStream.get(e.stream_id) ?? []), e]);

    const messages: OutboxMessage[] = [];
    for (const callId of streamIds) {
      const events = byStream.get(callId) ?? [];
      let state: CallSessionState = initialState;
      // the stream's commits: consecutive events written by one transaction
      for (let i = 0; i < events.length; ) {
        let j = i;
        while (j < events.length && events[j]!.transaction_id === events[i]!.transaction_id) j++;
        const commit = events.slice(i, j);
        for (const e of commit) state = evolve(state, { type: e.type, data: e.data } as CallSessionEvent);
        const wanted = commit.filter((e) => inBatch.has(e.position)).map(toStoredEvent);
        if (wanted.length > 0) {
          const rows = outboxMessagesFor(callId, wanted, state).filter((m) => m.topic === CALL_EVENTS_TOPIC);
          rows.forEach((m, k) => messages.push({ ...m, position: wanted[k]!.position }));
          result.callEvents += rows.length;
        }
        i = j;
      }
      const last = events.at(-1);
      const finalising = events.filter((e) => FINALISING.has(e.type)).at(-1);
      if (last && inBatch.has(last.position) && isFinalised(state) && finalising) {
        const view = outboxMessagesFor(callId, [toStoredEvent(finalising)], state).filter((m) => m.topic === CALLS_FINALIZED_TOPIC);
        messages.push(...view);
        result.finalizedViews += view.length;
      }
    }
    return messages;
  }
}
