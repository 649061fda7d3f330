import { Injectable, Logger, Optional, type BeforeApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { evolveAll, initialState, isFinalised, toCallSessionEvent, toCallView } from '#call-session-domain';
import { insertOutboxMessages, toStoredEvent, type EventRow as StoredEventRow, type OutboxMessage, type SqlExecutor } from '#event-store';
import { finalizedViewMessages } from '../../call-sessions/projections/call-events.outbox.js';
import { enqueueCallEventsAgain } from '../../outbox-relay/call-event-log.js';
import { OutboxRelayService } from '../../outbox-relay/outbox-relay.service.js';

const EVENTS_PER_BATCH = 1_000;

export interface RepublishResult {
  fromPosition: string;
  /** the highest position when the republish began: later events are relayed as they come */
  toPosition: string;
  events: number;
  enqueued: number;
  callEvents: number;
  finalizedViews: number;
  /**
   * false when a shutdown stopped it between two batches: what it enqueued stands (each batch is
   * one transaction), and running it again from the same position finishes it (consumers dedupe)
   */
  complete: boolean;
}

/** An event row with the transaction it committed in (to find what one commit wrote). */
interface EventRow extends StoredEventRow {
  transaction_id: string;
}

const SELECT = `position::text AS position, event_id, stream_id, version, type, data, metadata, occurred_at,
  recorded_at, transaction_id::text AS transaction_id`;


/**
 * Re-enqueues outbox rows for every committed event with position > N:
 * - `voice.call-events.v1`: one row per event, the envelope the relay sends from the log, built by
 *   the same SQL (`enqueueCallEventsAgain`; the same eventId, so consumers dedupe);
 * - `voice.calls.finalized.v1`: one row per call that is finalised, with its current view (as of
 *   the republish; the live path's `finalizedViewMessages`), headed by its last
 *   event — in the batch holding the call's last event, after the batch's call-events rows.
 * Takes the events committed when it starts (visible in that snapshot: one still uncommitted is
 * relayed as any new event) and walks them in commit order — (transaction_id, position),
 * as the log's readers do — in batches of `batchSize`, each batch's rows in one transaction. Not
 * in position order: positions come in blocks per process (PositionAllocator), so with two
 * instances a call's later event can hold the lower position, and a walk by position would put its
 * row before the earlier event's (per-key order). A call's next append starts after its previous
 * one committed, so its transaction ids rise with its versions. Sent by the relay when Kafka is
 * configured; otherwise the rows wait in the outbox.
 */
@Injectable()
export class OutboxRepublisher implements BeforeApplicationShutdown {
  private readonly logger = new Logger('OutboxRepublish');
  private stopping = false;
  /** events read (and re-enqueued) per transaction */
  batchSize = EVENTS_PER_BATCH;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Optional() private readonly relay?: OutboxRelayService,
  ) {}

  /**
   * A republish runs inside its HTTP request, which the server's close waits for: on a large
   * store that would hold the shutdown past its timeout, so it stops after the batch in hand.
   */
  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  async republish(fromPosition: string): Promise<RepublishResult> {
    const [start] = (await this.db.query(
      // first_tx: the first commit holding a position above fromPosition, where the walk starts
      `SELECT pg_current_snapshot()::text AS snapshot, coalesce(max(position), 0)::text AS hi,
              (SELECT min(transaction_id) FROM events WHERE position > $1::bigint)::text AS first_tx
         FROM events`,
      [fromPosition],
    )) as [{ snapshot: string; hi: string; first_tx: string | null }];
    const { snapshot, hi } = start;
    const result: RepublishResult = { fromPosition, toPosition: hi, events: 0, enqueued: 0, callEvents: 0, finalizedViews: 0, complete: true };
    // (transaction_id, position) of the last event taken; positions are >= 1
    let cursor = start.first_tx === null ? null : { tx: start.first_tx, position: '0' };
    while (cursor) {
      if (this.stopping) {
        result.complete = false;
        this.logger.warn(`republish from position ${fromPosition} stopped by the shutdown after ${result.events} events: run it again from there`);
        break;
      }
      const batch: EventRow[] = await this.db.query(
        `SELECT ${SELECT} FROM events e
          WHERE (e.transaction_id, e.position) > ($1::xid8, $2::bigint) AND e.position > $3::bigint
            AND pg_visible_in_snapshot(e.transaction_id, $4::pg_snapshot)
          ORDER BY e.transaction_id, e.position LIMIT $5`,
        [cursor.tx, cursor.position, fromPosition, snapshot, this.batchSize],
      );
      if (batch.length === 0) break;
      cursor = { tx: batch.at(-1)!.transaction_id, position: batch.at(-1)!.position };
      const views = await this.finalisedViewsFor(batch, snapshot);
      const callEvents = await this.db.transaction(async (tx) => {
        const sql: SqlExecutor = { query: (text, params) => tx.query(text, params) };
        const written = await enqueueCallEventsAgain(sql, batch.map((e) => e.position));
        await insertOutboxMessages(sql, views); // after the call's events (per-key order)
        return written;
      });
      this.relay?.poke();
      result.events += batch.length;
      result.callEvents += callEvents;
      result.finalizedViews += views.length;
      result.enqueued += callEvents + views.length;
    }
    this.logger.log(
      `republished positions (${fromPosition}, ${result.toPosition}]: ${result.events} events → ${result.callEvents} call-events rows, ` +
        `${result.finalizedViews} finalised views`,
    );
    return result;
  }

  /** The views of the batch's finalised calls whose last event is in the batch (as of the snapshot). */
  private async finalisedViewsFor(batch: EventRow[], snapshot: string): Promise<OutboxMessage[]> {
    const inBatch = new Set(batch.map((e) => e.position));
    const streamIds = [...new Set(batch.map((e) => e.stream_id))];
    const all: EventRow[] = await this.db.query(
      `SELECT ${SELECT} FROM events e
        WHERE e.stream_id = ANY($1::text[]) AND pg_visible_in_snapshot(e.transaction_id, $2::pg_snapshot)
        ORDER BY e.stream_id, e.version`,
      [streamIds, snapshot],
    );
    const byStream = new Map<string, EventRow[]>();
    for (const e of all) byStream.set(e.stream_id, [...(byStream.get(e.stream_id) ?? []), e]);

    const views: OutboxMessage[] = [];
    for (const callId of streamIds) {
      const events = byStream.get(callId) ?? [];
      if (events.length === 0 || !inBatch.has(events.at(-1)!.position)) continue;
      const stored = events.map(toStoredEvent);
      const state = evolveAll(initialState, stored.map(toCallSessionEvent));
      if (isFinalised(state)) views.push(...finalizedViewMessages(callId, stored, toCallView(state)));
    }
    return views;
  }
}
