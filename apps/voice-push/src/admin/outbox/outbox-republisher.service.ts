import { ConflictException, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { evolveAll, initialState, isFinalised, toCallSessionEvent, toCallView } from '#call-session-domain';
import { insertOutboxMessages, toStoredEvent, type EventRow as StoredEventRow, type OutboxMessage, type SqlExecutor } from '#event-store';
import { finalizedViewMessages } from '../../call-sessions/projections/call-events.outbox.js';
import { isLockNotAvailable, isStatementTimeout } from '../../database/storage-errors.js';
import { CALL_EVENTS_CHECKPOINT, callEventLogHolds, enqueueCallEventsAgain } from '../../outbox-relay/call-event-log.js';
import { OutboxRelayService } from '../../outbox-relay/outbox-relay.service.js';
import { BackgroundJobs, type JobDone, type JobState } from '../background-jobs.js';
import { PostgresJobRecords } from '../postgres-job-records.js';
import { LOG_HOLD_LEASE_MS, LogHold } from './log-hold.js';

const EVENTS_PER_BATCH = 1_000;
/** outbox rows a republish lets wait for the relay before it enqueues more (see waitForRelay) */
const OUTBOX_ROOM = 3 * EVENTS_PER_BATCH;
const ROOM_POLL_MS = 100;
/**
 * how long a finalised view's retry waits for its call's `calls` row (sendOnceUnlocked): below the
 * pool's statement timeout (1.5 s, and the client's 2 s), which would otherwise end the wait first
 */
const VIEW_LOCK_TIMEOUT_MS = 1_000;
/** the calls a warning names at most */
const CALLS_NAMED = 20;
export interface RepublishJob extends JobState {
  fromPosition: string;
  /**
   * the position the walk started after, in commit order (null until it has looked):
   * `fromPosition`, or the relay's checkpoint when this instance has a relay and that came first (see walk)
   */
  startedAfterPosition: string | null;
  /** the highest position when the republish began (null until it has looked): later events are relayed as they come */
  toPosition: string | null;
  events: number;
  enqueued: number;
  callEvents: number;
  finalizedViews: number;
  /** finalised views left out: their call changed after the republish began, and the live path sent the newer view */
  finalizedViewsSuperseded: number;
  /**
   * finalised views not sent: their call's `calls` row stayed locked (a rebuild, a long
   * transaction) past the wait (sendOnceUnlocked); a republish from `startedAfterPosition` sends them
   */
  finalizedViewsNotSent: number;
  /** true while it waits for the relay to send what it enqueued (Kafka slow or away), before a batch or at its end */
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
 * as the relay sent them; N = 0: all), or after the relay's checkpoint when this instance has a
 * relay and that is earlier (walk):
 * - `voice.call-events.v1`: one row per event, the envelope the relay sends from the log, built by
 *   the same SQL (`enqueueCallEventsAgain`; the same eventId, so consumers dedupe);
 * - `voice.calls.finalized.v1`: one row per call that is finalised, with its current view (as of
 *   the republish; the live path's `finalizedViewMessages`), headed by its last
 *   event — in the batch holding the call's last event, after the batch's call-events rows (or
 *   just after that batch, when its `calls` row was locked: sendOnceUnlocked).
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
 * call's history the job has yet to enqueue. With a relay it keeps the hold until the relay has
 * sent every row it enqueued (waitUntilRelayed): a job that is `succeeded` has its rows on Kafka.
 *
 * A background job (`BackgroundJobs`): on a store of production size it runs for minutes. Each
 * batch is one transaction, so a job that failed or was stopped by a shutdown leaves whole batches
 * enqueued, and running it again from the same position finishes it (consumers dedupe).
 */
@Injectable()
export class OutboxRepublisher {
  private readonly logger = new Logger('OutboxRepublish');
  /** every instance's republishes: `found(id)` and `latest()` for the controller and the stats */
  readonly jobs: BackgroundJobs<RepublishJob>;
  /** events read (and re-enqueued) per transaction */
  batchSize = EVENTS_PER_BATCH;
  /** outbox rows it lets wait for the relay before it enqueues more */
  outboxRoom = OUTBOX_ROOM;
  /** how long a view whose `calls` row was locked waits for it, once, before it is not sent */
  viewLockTimeoutMs = VIEW_LOCK_TIMEOUT_MS;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Optional() private readonly relay?: OutboxRelayService,
  ) {
    this.jobs = new BackgroundJobs('republish', this.logger, new PostgresJobRecords(db, 'republish'));
  }

  /**
   * Starts a republish in the background; `onDone` gets the finished job. 409 while one runs on
   * any instance: a second one beside it would enqueue the whole history again. The jobs' table
   * says so (BackgroundJobs); so does a hold on the log with no job behind it here, which an
   * instance of a version before that table takes.
   */
  async start(fromPosition: string, onDone?: JobDone<RepublishJob>): Promise<RepublishJob> {
    const running = this.jobs.running();
    const own = running ? holdNameOf(running.id) : null;
    const other = (await callEventLogHolds(this.db)).find((name) => name !== own);
    if (other !== undefined) {
      const jobId = other.startsWith(HOLD_NAME_PREFIX) ? other.slice(HOLD_NAME_PREFIX.length) : other;
      throw new ConflictException({ error: 'CONFLICT', message: `republish ${jobId} is still running on another instance`, jobId });
    }
    const progress = {
      fromPosition,
      startedAfterPosition: null,
      toPosition: null,
      events: 0,
      enqueued: 0,
      callEvents: 0,
      finalizedViews: 0,
      finalizedViewsSuperseded: 0,
      finalizedViewsNotSent: 0,
      waitingForRelay: false,
      holdingLiveCallEvents: false,
    };
    return this.jobs.start(progress, (job) => this.republish(job), onDone);
  }

  private async republish(job: RepublishJob): Promise<void> {
    const hold = new LogHold(this.db, holdNameOf(job.id), (line) => this.logger.warn(`republish ${job.id}: ${line}`));
    try {
      await hold.take();
      job.holdingLiveCallEvents = true;
      await this.walk(job, hold);
    } finally {
      job.holdingLiveCallEvents = false;
      job.waitingForRelay = false; // a job stopped while it waited waits no more
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
    //
    // With a relay here it starts at the relay's checkpoint instead when that comes first (Kafka
    // was away or slow): a call with v1 before N and v2 after it, neither sent yet, would otherwise
    // have v2 sent from the outbox while the log is held, and v1 from the log after the release —
    // v2, v1 on its key. A missing checkpoint row is the relay starting from the beginning
    // (ensureCallEventsCheckpoint). Without a relay here (KAFKA_BROKERS unset) nothing moves the
    // checkpoint: starting there would enqueue the whole log, unpaced (waitForRelay), on every
    // republish. It starts after N, and enqueues no call event at all while the checkpoint is
    // earlier: every event it walks is then still to be sent by the log, in order, once a relay
    // runs — one enqueued here would go first (a relay sends call-event rows before the log),
    // ahead of the call's earlier events still in the log. The finalised views are enqueued.
    const [start] = (await this.db.query(
      `WITH asked AS (SELECT coalesce((SELECT transaction_id FROM events WHERE position <= $1::bigint ORDER BY position DESC LIMIT 1), '0'::xid8) AS tx),
            relayed AS (SELECT coalesce(k.transaction_id, '0'::xid8) AS tx, coalesce(k.position, 0) AS position
                          FROM (SELECT 1) one LEFT JOIN relay_checkpoints k ON k.name = $2)
       SELECT pg_current_snapshot()::text AS snapshot, (SELECT max(position) FROM events)::text AS hi,
              asked.tx::text AS from_tx, relayed.tx::text AS relayed_tx, relayed.position::text AS relayed_position,
              (relayed.tx, relayed.position) < (asked.tx, $1::bigint) AS relay_behind
         FROM asked, relayed`,
      [fromPosition, CALL_EVENTS_CHECKPOINT],
    )) as [{ snapshot: string; hi: string | null; from_tx: string; relayed_tx: string; relayed_position: string; relay_behind: boolean }];
    const { snapshot, relay_behind: relayBehind } = start;
    job.toPosition = start.hi ?? '0';
    // (transaction_id, position) of the last event taken
    let cursor = { tx: start.from_tx, position: fromPosition };
    const relayed = { tx: start.relayed_tx, position: start.relayed_position };
    if (this.relay && relayBehind) {
      cursor = relayed;
      this.logger.log(
        `republish ${job.id}: the relay has yet to send the events after position ${relayed.position}: the republish starts there, ` +
          'so each call\'s events go out in order; the log sends them again after it',
      );
    }
    const callEventsFromTheLog = !this.relay && relayBehind;
    if (callEventsFromTheLog) {
      this.logger.log(
        `republish ${job.id}: no relay here, and the events after position ${relayed.position} are still to be sent from the log, in order, ` +
          'once one runs: only the finalised views are enqueued',
      );
    }
    job.startedAfterPosition = cursor.position;
    this.logger.log(`republish ${job.id}: the events committed after position ${cursor.position} (positions up to ${job.toPosition})`);
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
      const { callEvents, current, busy } = await this.db.transaction(async (tx) => {
        const sql: SqlExecutor = { query: (text, params) => tx.query(text, params) };
        const written = callEventsFromTheLog ? 0 : await enqueueCallEventsAgain(sql, batch.map((e) => e.position));
        const locked = await withCallsLocked(sql, views);
        const stillCurrent = await currentViews(sql, locked.views);
        const messages = stillCurrent.flatMap((v) => v.messages);
        await insertOutboxMessages(sql, messages); // after the call's events (per-key order)
        return { callEvents: written, current: { views: stillCurrent.length, messages: messages.length }, busy: locked.busy };
      });
      this.relay?.poke();
      job.events += batch.length;
      job.callEvents += callEvents;
      job.finalizedViews += current.views;
      job.finalizedViewsSuperseded += views.length - busy.length - current.views;
      job.enqueued += callEvents + current.messages;
      await this.sendOnceUnlocked(job, hold, busy);
    }
    // every transaction of the job has committed: the highest outbox id now bounds all it enqueued
    if (this.relay && job.enqueued > 0) await this.waitUntilRelayed(job, hold, (await highestOutboxId(this.db))!);
    this.logger.log(
      `republish ${job.id} done: after position ${job.startedAfterPosition}${job.startedAfterPosition === fromPosition ? '' : ` (asked: ${fromPosition})`}, ` +
        `${job.events} events → ${job.callEvents} call-events rows, ${job.finalizedViews} finalised views` +
        (job.finalizedViewsNotSent > 0 ? ` (${job.finalizedViewsNotSent} not sent: their calls stayed locked; a republish from position ${job.startedAfterPosition} sends them)` : ''),
    );
  }

  /**
   * The views whose `calls` row the batch's transaction found locked, each tried again now in a
   * transaction of its own that waits for the row (a bounded wait). The lock need not be a live
   * append's: a rebuild's upsert locks the rows it conflicts on even where its guard leaves them
   * as they were, an append may roll back, an operator's session may hold one; left out as
   * superseded, such a view would not be sent again though no newer one was. Once the row is locked
   * here, currentViews tells a live append that committed meanwhile (its newer view sent:
   * superseded), and one that comes later waits for this commit, as in the batch
   * (withCallsLocked). Its rows still come after the call's republished events: the batch holding
   * the call's last event (as of the snapshot) has committed. A row still locked when the wait ends
   * leaves the view unsent (`finalizedViewsNotSent`, the calls in the log): a republish from the
   * job's `startedAfterPosition` sends it. After one wait has run out, the job's later locked views
   * are tried without waiting.
   *
   * No deadlock with a live batch, which locks many `calls` rows in one statement: this
   * transaction locks nothing before its one row (its first statement sets the lock timeout) and waits
   * for nothing once it has it (reads, and an outbox insert whose counts are inserted, not
   * updated: counter-tables.ts), so it holds nothing the batch could be waiting for while it
   * waits, and the batch, waiting for its row, waits on a transaction that waits for nothing.
   */
  private async sendOnceUnlocked(job: RepublishJob, hold: LogHold, busy: FinalisedView[]): Promise<void> {
    const notSent: string[] = [];
    try {
      for (const view of busy) {
        this.jobs.stopIfStopping();
        await hold.renewIfDue();
        // after one wait has run out, a long transaction holding many rows would cost a wait per
        // view, with the live call events held all the while: the job's later views do not wait
        const outcome = await this.sendOnce(view, job.finalizedViewsNotSent > 0 ? 0 : this.viewLockTimeoutMs);
        if (outcome === 'superseded') job.finalizedViewsSuperseded += 1;
        else if (outcome === 'locked') {
          job.finalizedViewsNotSent += 1;
          notSent.push(view.callId);
        } else {
          this.relay?.poke();
          job.finalizedViews += 1;
          job.enqueued += outcome.messages;
        }
      }
    } finally {
      // a job stopped among the views names those it found locked so far (the rest it did not try)
      if (notSent.length > 0) {
        const named = notSent.slice(0, CALLS_NAMED).join(', ') + (notSent.length > CALLS_NAMED ? `, and ${notSent.length - CALLS_NAMED} more` : '');
        this.logger.warn(
          `republish ${job.id}: ${notSent.length} finalised views not sent, a lock on their calls row or the outbox still held ` +
            `(a rebuild, a long transaction): ${named}; a republish from position ${job.startedAfterPosition} sends them`,
        );
      }
    }
  }

  /** One view of sendOnceUnlocked, in its own transaction; `waitMs` 0: not waiting for the row at all. */
  private async sendOnce(view: FinalisedView, waitMs: number): Promise<'superseded' | 'locked' | { messages: number }> {
    try {
      return await this.db.transaction(async (tx) => {
        const sql: SqlExecutor = { query: (text, params) => tx.query(text, params) };
        if (waitMs > 0) await sql.query(`SELECT set_config('lock_timeout', $1, true)`, [`${waitMs}ms`]);
        await sql.query(`SELECT 1 FROM calls WHERE call_id = $1 FOR SHARE${waitMs > 0 ? '' : ' NOWAIT'}`, [view.callId]);
        const [current] = await currentViews(sql, [view]);
        if (current === undefined) return 'superseded';
        await insertOutboxMessages(sql, current.messages);
        return { messages: current.messages.length };
      });
    } catch (error) {
      // the lock timeout restarts at each lock a statement waits for (the row's, then its holder's
      // transaction's): two waits can outlast the pool's statement timeout (57014) first
      if (isLockNotAvailable(error) || isStatementTimeout(error)) return 'locked';
      throw error;
    }
  }

  /**
   * With a relay, keeps the hold until no outbox row up to `lastOutboxId` (the job's last) waits.
   * The relay asks whether the log is held before its outbox read, and its log read asks again:
   * a small job that took its hold, committed its rows and let go between those two reads would
   * have the relay send live events of a call in that iteration and the call's republished history
   * in the next. Its rows are sent by an iteration after that one (the relay's lock), so while the
   * job holds until then, that log read sees the hold. Without a relay the rows wait anyway.
   */
  private waitUntilRelayed(job: RepublishJob, hold: LogHold, lastOutboxId: string): Promise<void> {
    return this.waitForRelayWhile(job, hold, async () => {
      const [{ waiting }] = (await this.db.query(`SELECT EXISTS (SELECT 1 FROM outbox WHERE id <= $1::bigint) AS waiting`, [lastOutboxId])) as [
        { waiting: boolean },
      ];
      return waiting;
    });
  }

  /**
   * With a relay, waits until the outbox has room: enqueued all at once, a republish of millions
   * of events put them all in the outbox, and while Kafka was away it kept growing there. Paced by
   * the relay, the outbox holds a few batches at most. (The job's hold keeps the log's live events
   * back meanwhile, for each call's order: holdCallEventLog.) Without a relay
   * (KAFKA_BROKERS unset) the rows wait in the outbox anyway: no wait.
   */
  private waitForRelay(job: RepublishJob, hold: LogHold): Promise<void> {
    return this.waitForRelayWhile(job, hold, async () => {
      const [{ n }] = (await this.db.query(`SELECT count(*)::int AS n FROM (SELECT 1 FROM outbox LIMIT $1) o`, [this.outboxRoom])) as [{ n: number }];
      return n >= this.outboxRoom;
    });
  }

  /**
   * Polls `waiting` while it holds (`waitingForRelay` says so), renewing the hold and honouring a
   * cancel or a shutdown between two polls. Without a relay nothing would empty the outbox: no wait.
   */
  private async waitForRelayWhile(job: RepublishJob, hold: LogHold, waiting: () => Promise<boolean>): Promise<void> {
    for (;;) {
      this.jobs.stopIfStopping();
      await hold.renewIfDue();
      if (!this.relay) return;
      job.waitingForRelay = await waiting();
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

/** The highest outbox id committed (or written by this transaction). */
async function highestOutboxId(sql: SqlExecutor): Promise<string | null> {
  const [{ id }] = (await sql.query(`SELECT max(id)::text AS id FROM outbox`)) as [{ id: string | null }];
  return id;
}

/**
 * Splits the views by whether this transaction could lock their call's `calls` row (FOR SHARE)
 * until it commits (`views`) or found it locked by another (`busy`, tried again after the commit:
 * sendOnceUnlocked). A live append writes its call's `calls` row in its own statement
 * (callRowsWithAppend) and holds that row until it commits, so a row locked here makes the next
 * append wait for this commit before it writes its outbox rows: its newer view comes after this
 * older one on the topic (by outbox id), and one that committed before the lock is seen by
 * currentViews. (Postgres runs the append's `calls` upsert before its outbox insert, both CTEs its
 * final SELECT does not read: the int-spec's "live append … after the job's check" holds it to
 * that.) SKIP LOCKED: the batch's transaction, holding the rows it has locked, never waits for a
 * live batch, so it cannot deadlock with one. A call with no `calls` row
 * (none to lock) is kept.
 */
async function withCallsLocked(sql: SqlExecutor, views: FinalisedView[]): Promise<{ views: FinalisedView[]; busy: FinalisedView[] }> {
  if (views.length === 0) return { views: [], busy: [] };
  const busy = await sql.query<{ call_id: string }>(
    `WITH locked AS (SELECT call_id FROM calls WHERE call_id = ANY($1::text[]) FOR SHARE SKIP LOCKED)
     SELECT c.call_id FROM calls c WHERE c.call_id = ANY($1::text[]) AND c.call_id NOT IN (SELECT call_id FROM locked)`,
    [views.map((v) => v.callId)],
  );
  const lockedElsewhere = new Set(busy.map((r) => r.call_id));
  return { views: views.filter((v) => !lockedElsewhere.has(v.callId)), busy: views.filter((v) => lockedElsewhere.has(v.callId)) };
}

/**
 * The views whose call has no event newer than the view (as committed now). A call that changed
 * while the job ran (minutes on a large store) had its newer view sent by the live path: an older one
 * enqueued after it would have been the last on `voice.calls.finalized.v1` for that call. Asked
 * once the call is locked (withCallsLocked, sendOnceUnlocked): a change committing after this
 * read comes after the job's view.
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
