import { ConflictException, Injectable, Logger, Optional, type BeforeApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { evolveAll, initialState, isFinalised, toCallSessionEvent, toCallView } from '#call-session-domain';
import { insertOutboxMessages, toStoredEvent, type EventRow as StoredEventRow, type OutboxMessage, type SqlExecutor } from '#event-store';
import { finalizedViewMessages } from '../../call-sessions/projections/call-events.outbox.js';
import { callEventLogHolds, enqueueCallEventsAgain } from '../../outbox-relay/call-event-log.js';
import { OutboxRelayService } from '../../outbox-relay/outbox-relay.service.js';
import { BackgroundJobs, type JobDone, type JobState } from '../background-jobs.js';
import { LOG_HOLD_LEASE_MS, LogHold } from './log-hold.js';

const EVENTS_PER_BATCH = 1_000;
/** outbox rows a republish lets wait for the relay before it enqueues more (see waitForRelay) */
const OUTBOX_ROOM = 3 * EVENTS_PER_BATCH;
const ROOM_POLL_MS = 100;
export interface RepublishJob extends JobState {
  fromPosition: string;
  /** the highest position when the republish began (null until it has looked): later events are relayed as they come */
  toPosition: string | null;
  events: number;
  enqueued: number;
  callEvents: number;
  finalizedViews: number;
  /** finalised views left out: their call changed after the republish began, and the live path sent the newer view */
  finalizedViewsSuperseded: number;
  /** true while it waits for the relay to send what it enqueued (Kafka slow or away) */
  waitingForRelay: boolean;
  /** true while it holds the live call events in the log (until it ends: see holdCallEventLog) */
  holdingLiveCallEvents: boolean;
}

/** A finalised call's view as of the republish's snapshot. */
interface FinalisedView {
  callId: string;
  version: number;
  messages: OutboxMessage[];
}

/** An event row with the transaction it committed in (to find what one commit wrote). */
interface EventRow extends StoredEventRow {
  transaction_id: string;
}

const SELECT = `position::text AS position, event_id, stream_id, version, type, data, metadata, occurred_at,
  recorded_at, transaction_id::text AS transaction_id`;


/**
 * Re-enqueues outbox rows for every event committed after the one at position N (in commit order,
 * as the relay sent them; N = 0: all):
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
 *
 * While it runs it holds the live call events in the log (holdCallEventLog): the relay empties the
 * outbox between two of its batches, and would otherwise send a call's live event before the
 * call's history the job has yet to enqueue.
 *
 * A background job (`BackgroundJobs`): on a store of production size it runs for minutes. Each
 * batch is one transaction, so a job that failed or was stopped by a shutdown leaves whole batches
 * enqueued, and running it again from the same position finishes it (consumers dedupe).
 */
@Injectable()
export class OutboxRepublisher implements BeforeApplicationShutdown {
  private readonly logger = new Logger('OutboxRepublish');
  /** the jobs started here: `found(id)` and `latest()` for the controller and the stats */
  readonly jobs = new BackgroundJobs<RepublishJob>('republish', this.logger);
  /** events read (and re-enqueued) per transaction */
  batchSize = EVENTS_PER_BATCH;
  /** outbox rows it lets wait for the relay before it enqueues more */
  outboxRoom = OUTBOX_ROOM;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Optional() private readonly relay?: OutboxRelayService,
  ) {}

  /**
   * Starts a republish in the background; `onDone` gets the finished job. 409 while one runs here,
   * or on another instance (its hold on the log): jobs live in the instance that runs them, and a
   * second one beside it would enqueue the whole history again. (Two started at the same moment on
   * two instances may both run: each holds under its own name, so the order still holds, and
   * consumers dedupe what they get twice.)
   */
  async start(fromPosition: string, onDone?: JobDone<RepublishJob>): Promise<RepublishJob> {
    const running = this.jobs.latest();
    const own = running?.status === 'running' ? holdNameOf(running.id) : null;
    const other = (await callEventLogHolds(this.db)).find((name) => name !== own);
    if (other !== undefined) {
      const jobId = other.startsWith(HOLD_NAME_PREFIX) ? other.slice(HOLD_NAME_PREFIX.length) : other;
      throw new ConflictException({ error: 'CONFLICT', message: `republish ${jobId} is still running on another instance`, jobId });
    }
    const progress = {
      fromPosition,
      toPosition: null,
      events: 0,
      enqueued: 0,
      callEvents: 0,
      finalizedViews: 0,
      finalizedViewsSuperseded: 0,
      waitingForRelay: false,
      holdingLiveCallEvents: false,
    };
    return this.jobs.start(progress, (job) => this.republish(job), onDone);
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.jobs.stop();
  }

  private async republish(job: RepublishJob): Promise<void> {
    const hold = new LogHold(this.db, holdNameOf(job.id), (line) => this.logger.warn(`republish ${job.id}: ${line}`));
    try {
      await hold.take();
      job.holdingLiveCallEvents = true;
      await this.walk(job, hold);
    } finally {
      job.holdingLiveCallEvents = false;
      await hold.release().catch((error: unknown) =>
        this.logger.warn(`republish ${job.id}: its hold on the live call events not released (${String(error)}); it lapses within ${LOG_HOLD_LEASE_MS / 1000} s`),
      );
    }
  }

  private async walk(job: RepublishJob, hold: LogHold): Promise<void> {
    const { fromPosition } = job;
    // The walk starts after the event at fromPosition in commit order, where the relay sent it: a
    // consumer that lost what followed N on Kafka lost what committed after N, and with two
    // instances (position blocks) that includes lower positions; a filter on position > N skipped
    // them for good. Both the start and each batch are bounded on the (transaction_id, position)
    // index: as filters (min(transaction_id) … WHERE position > N, a snapshot test alone) they read
    // the whole index on a large store and ran past the statement timeout.
    const [start] = (await this.db.query(
      `SELECT pg_current_snapshot()::text AS snapshot, (SELECT max(position) FROM events)::text AS hi,
              (SELECT transaction_id FROM events WHERE position <= $1::bigint ORDER BY position DESC LIMIT 1)::text AS from_tx`,
      [fromPosition],
    )) as [{ snapshot: string; hi: string | null; from_tx: string | null }];
    const { snapshot } = start;
    job.toPosition = start.hi ?? '0';
    this.logger.log(`republish ${job.id}: the events committed after position ${fromPosition} (positions up to ${job.toPosition})`);
    // (transaction_id, position) of the last event taken
    let cursor = { tx: start.from_tx ?? '0', position: fromPosition };
    for (;;) {
      await this.waitForRelay(job, hold);
      const batch: EventRow[] = await this.db.query(
        `SELECT ${SELECT} FROM events e
          WHERE (e.transaction_id, e.position) > ($1::xid8, $2::bigint)
            AND e.transaction_id < pg_snapshot_xmax($3::pg_snapshot)
            AND pg_visible_in_snapshot(e.transaction_id, $3::pg_snapshot)
          ORDER BY e.transaction_id, e.position LIMIT $4`,
        [cursor.tx, cursor.position, snapshot, this.batchSize],
      );
      if (batch.length === 0) break;
      cursor = { tx: batch.at(-1)!.transaction_id, position: batch.at(-1)!.position };
      const views = await this.finalisedViewsFor(batch, snapshot);
      const { callEvents, current } = await this.db.transaction(async (tx) => {
        const sql: SqlExecutor = { query: (text, params) => tx.query(text, params) };
        const written = await enqueueCallEventsAgain(sql, batch.map((e) => e.position));
        const stillCurrent = await currentViews(sql, views);
        const messages = stillCurrent.flatMap((v) => v.messages);
        await insertOutboxMessages(sql, messages); // after the call's events (per-key order)
        return { callEvents: written, current: { views: stillCurrent.length, messages: messages.length } };
      });
      this.relay?.poke();
      job.events += batch.length;
      job.callEvents += callEvents;
      job.finalizedViews += current.views;
      job.finalizedViewsSuperseded += views.length - current.views;
      job.enqueued += callEvents + current.messages;
    }
    this.logger.log(
      `republish ${job.id} done: after position ${fromPosition}, ${job.events} events → ${job.callEvents} call-events rows, ` +
        `${job.finalizedViews} finalised views`,
    );
  }

  /**
   * With a relay, waits until the outbox has room: enqueued all at once, a republish of millions
   * of events put them all in the outbox, and while Kafka was away it kept growing there. Paced by
   * the relay, the outbox holds a few batches at most. (The job's hold keeps the log's live events
   * back meanwhile, for each call's order: holdCallEventLog.) Without a relay
   * (KAFKA_BROKERS unset) the rows wait in the outbox anyway: no wait.
   */
  private async waitForRelay(job: RepublishJob, hold: LogHold): Promise<void> {
    for (;;) {
      this.jobs.stopIfStopping();
      await hold.renewIfDue();
      if (!this.relay) return;
      const [{ n }] = (await this.db.query(`SELECT count(*)::int AS n FROM (SELECT 1 FROM outbox LIMIT $1) o`, [this.outboxRoom])) as [{ n: number }];
      job.waitingForRelay = n >= this.outboxRoom;
      if (!job.waitingForRelay) return;
      await new Promise((done) => setTimeout(done, ROOM_POLL_MS));
    }
  }

  /** The views of the batch's finalised calls whose last event is in the batch (as of the snapshot). */
  private async finalisedViewsFor(batch: EventRow[], snapshot: string): Promise<FinalisedView[]> {
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

    const views: FinalisedView[] = [];
    for (const callId of streamIds) {
      const events = byStream.get(callId) ?? [];
      if (events.length === 0 || !inBatch.has(events.at(-1)!.position)) continue;
      const stored = events.map(toStoredEvent);
      const state = evolveAll(initialState, stored.map(toCallSessionEvent));
      if (isFinalised(state)) views.push({ callId, version: stored.at(-1)!.version, messages: finalizedViewMessages(callId, stored, toCallView(state)) });
    }
    return views;
  }
}

const HOLD_NAME_PREFIX = 'republish ';
const holdNameOf = (jobId: string): string => `${HOLD_NAME_PREFIX}${jobId}`;

/**
 * The views whose call has no event newer than the view (as committed now). A call that changed
 * while the job ran (minutes on a large store) had its newer view sent by the live path: an older one
 * enqueued after it would have been the last on `voice.calls.finalized.v1` for that call. A change
 * committing while this batch's transaction runs can still overtake it; the view's `version` tells
 * a consumer which is newer.
 */
async function currentViews(sql: SqlExecutor, views: FinalisedView[]): Promise<FinalisedView[]> {
  if (views.length === 0) return [];
  const newer = await sql.query<{ stream_id: string }>(
    `SELECT v.stream_id FROM unnest($1::text[], $2::int[]) AS v(stream_id, version)
      WHERE EXISTS (SELECT 1 FROM events e WHERE e.stream_id = v.stream_id AND e.version > v.version)`,
    [views.map((v) => v.callId), views.map((v) => v.version)],
  );
  const superseded = new Set(newer.map((r) => r.stream_id));
  return views.filter((v) => !superseded.has(v.callId));
}
