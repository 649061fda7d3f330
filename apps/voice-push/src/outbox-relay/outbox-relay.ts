// The outbox relay: moves rows of the `outbox` table (written in the same transaction as the
// event-store append) to Kafka, and deletes them once the broker acknowledged them.
//
//   outbox(id bigserial PK, position bigint NULL, topic text, key text, value jsonb, headers jsonb,
//          created_at timestamptz default now())
//
// One iteration, in one Postgres transaction:
//   take the relay lock (pg_try_advisory_xact_lock) — at most one relay works at a time, so batches
//     go out one after the other and per-key order holds across several app instances too;
//   SELECT … ORDER BY id LIMIT batch FOR UPDATE SKIP LOCKED;
//   publish them in one call (acks=all);
//   DELETE FROM outbox WHERE id = ANY(ids); COMMIT.
// A failed publish rolls back: the rows stay and go out again later (at-least-once; consumers
// dedupe by the `event-id` header). Rows are deleted, never "sent past a position", so a row whose
// transaction commits late (lower id, seen after higher ids) is still sent, never skipped.
//
// Per-call order: rows of one call are appended in version order by transactions that follow each
// other (the event store's unique (stream_id, version)), so their ids increase; the rows of one
// publish keep id order within a topic and the same key goes to the same partition.
//
// With `callEventLog`, the same transaction also carries the call events from the event log
// after its checkpoint (call-event-log.ts) and advances the checkpoint: the live path writes
// outbox rows only for the finalised views.
import { MAX_PUBLISH_BYTES, fitWithinBytes, type EventPublisher, type OutgoingMessage } from '#messaging';
import type { DataSource, EntityManager } from 'typeorm';
import { CALL_EVENTS_TOPIC, CALLS_FINALIZED_TOPIC } from '#contracts';
import { preparedQuery, type SqlExecutor } from '#event-store';
import {
  RELAY_BACKLOG_SQL,
  CALL_EVENT_LOG_HELD,
  advanceCallEvents,
  callEventRowsWait,
  ensureCallEventsCheckpoint,
  readCallEvents,
  type RelayBacklog,
} from './call-event-log.js';


export interface OutboxRelayOptions {
  /** rows per transaction / publish call; default 500 */
  batchSize: number;
  /**
   * sleep after an iteration that was not full, ms; default 50. After one that relayed something
   * the relay sleeps this long whatever happens (the next batch gathers); after an empty one the
   * sleep doubles each time up to maxIdleDelayMs, and poke() cuts it short.
   */
  idleDelayMs: number;
  /** the longest sleep of an idle relay, ms; default 1000 */
  maxIdleDelayMs: number;
  /** longest wait between tries while Kafka (or Postgres) is failing, ms; default 5000 */
  maxBackoffMs: number;
  /** first wait after a failure, ms, doubled each time; default 100 */
  initialBackoffMs: number;
  /** partitions of the topics the relay creates; default 3 */
  partitions: number;
  /** topics created at start when missing; default the two contract topics */
  topics: string[];
  /** how long stop() keeps draining the outbox, ms; default 10000 */
  drainTimeoutMs: number;
  /** advisory lock key that makes one relay active at a time; null: no lock; default 0x766f7862 */
  lockKey: number | null;
  /** also relay the call events from the event log (needs the app's schema); default false */
  callEventLog: boolean;
}

export const DEFAULT_OUTBOX_RELAY_OPTIONS: Readonly<OutboxRelayOptions> = Object.freeze({
  batchSize: 500,
  idleDelayMs: 50,
  maxIdleDelayMs: 1_000,
  maxBackoffMs: 5_000,
  initialBackoffMs: 100,
  partitions: 3,
  topics: [CALL_EVENTS_TOPIC, CALLS_FINALIZED_TOPIC],
  drainTimeoutMs: 10_000,
  lockKey: 0x766f7862, // 'voxb'
  callEventLog: false,
});

/** Nest's Logger fits this; so does console. */
export interface RelayLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface OutboxRelayStats {
  /** messages acknowledged by the broker (and deleted from the outbox) */
  published: number;
  /** publish calls that succeeded */
  batches: number;
  /** failed iterations (publish, topic creation or database) */
  failures: number;
  /** true while failing, until an iteration succeeds again */
  failing: boolean;
  lastError: string | null;
  running: boolean;
}

interface OutboxRow {
  id: string;
  topic: string;
  key: string;
  value: string;
  headers: Record<string, unknown> | null;
}

/**
 * `full`: a source gave a whole batch, so more is probably waiting; `held`: nothing went out, and
 * the log is held (a republish runs: call-event-log.ts)
 */
type Iteration = { kind: 'relayed'; count: number; full: boolean } | { kind: 'locked' } | { kind: 'held' };

const silentLogger: RelayLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

export class OutboxRelay {
  private readonly options: OutboxRelayOptions;
  private running = false;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** a poke came while no pause was armed (the loop was inside an iteration) */
  private pokedWhileBusy = false;
  /** set while a publish is awaited inside an iteration's transaction: gives up waiting for it */
  private abandonPublish: (() => void) | undefined;
  /** stop()'s deadline passed: a publish is given up at once, so the iteration rolls back */
  private pastDrainDeadline = false;
  private topicsReady = false;
  private failingSince: number | undefined;
  private readonly counters = { published: 0, batches: 0, failures: 0 };
  private lastError: string | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: EventPublisher,
    options: Partial<OutboxRelayOptions> = {},
    private readonly logger: RelayLogger = silentLogger,
  ) {
    this.options = { ...DEFAULT_OUTBOX_RELAY_OPTIONS, ...stripUndefined(options) };
    if (this.options.batchSize < 1) throw new Error('batchSize must be at least 1');
  }

  /** Starts the loop in the background; returns at once (Kafka may still be away). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    this.pastDrainDeadline = false;
    this.loop = this.run().catch((error: unknown) => {
      // run() handles its own errors; this is a bug guard
      this.logger.error(`outbox relay loop died: ${describe(error)}`);
    });
  }

  /** Wakes an idle loop now (call after a commit that wrote events or outbox rows). */
  poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    // An iteration whose read began before the poker's commit does not see its events: the poke
    // is kept for the pause after it, or those events would wait out an idle sleep (up to 1 s).
    if (wake) wake();
    else this.pokedWhileBusy = true;
  }

  /**
   * Stops the loop, then keeps relaying until nothing waits or drainTimeoutMs passed (the
   * publisher stays connected: the caller disconnects it afterwards). Committed events the log
   * cannot read yet (a transaction older than them still runs somewhere on the cluster) are
   * waited for, within the same deadline. The deadline holds even against a Kafka that does not
   * answer (a publish can wait up to its own deadline, 18 s): at the deadline the publish in hand
   * is given up, so its iteration rolls back and frees its pool connection (the pool's close waits
   * for every connection); what it held stays in Postgres for the next start, and the publish itself
   * may still land, which at-least-once allows. Answers the messages left waiting (-1: unknown).
   */
  async stop(drainTimeoutMs = this.options.drainTimeoutMs): Promise<number> {
    if (!this.running) return 0;
    const deadline = Date.now() + drainTimeoutMs;
    const giveUp = setTimeout(() => {
      this.pastDrainDeadline = true;
      this.abandonPublish?.();
    }, drainTimeoutMs);
    this.stopping = true;
    this.poke();
    let backoff = this.options.initialBackoffMs;
    await this.loop;
    while (Date.now() < deadline) {
      try {
        const result = await this.relayOnce();
        if (result.kind === 'locked' || result.kind === 'held') break; // the rest is another relay's, or waits for the hold
        if (result.count === 0) {
          if ((await this.lag()) === 0) break;
          await sleep(Math.min(20, Math.max(0, deadline - Date.now())));
        }
      } catch (error) {
        this.noteFailure(error);
        await sleep(Math.min(backoff, Math.max(0, deadline - Date.now())));
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs);
      }
    }
    clearTimeout(giveUp);
    const left = await this.lag().catch(() => -1);
    if (left > 0 || this.pastDrainDeadline) {
      this.logger.warn(
        `outbox relay stopped${this.pastDrainDeadline ? ` at its ${drainTimeoutMs} ms drain deadline` : ''} with ${left} messages not yet on Kafka; they stay in Postgres and go out after the next start`,
      );
    }
    this.running = false;
    return left;
  }

  /** Messages waiting: outbox rows, and with `callEventLog` the events after the checkpoint. */
  async lag(): Promise<number> {
    if (this.options.callEventLog) {
      const [backlog] = (await this.dataSource.query(RELAY_BACKLOG_SQL)) as RelayBacklog[];
      return backlog?.events ?? 0;
    }
    const rows: Array<{ n: number }> = await this.dataSource.query(`SELECT count(*)::int AS n FROM outbox`);
    return rows[0]?.n ?? 0;
  }

  stats(): OutboxRelayStats {
    return {
      ...this.counters,
      failing: this.failingSince !== undefined,
      lastError: this.lastError,
      running: this.running,
    };
  }

  get published(): number {
    return this.counters.published;
  }

  get failures(): number {
    return this.counters.failures;
  }

  /**
   * One iteration: takes up to batchSize rows, publishes, deletes them. Throws when it failed
   * (nothing deleted). Public for tests and for a one-shot drain.
   */
  async relayOnce(): Promise<Iteration> {
    if (!this.topicsReady) {
      await this.publisher.ensureTopics(this.options.topics.map((topic) => ({ topic, partitions: this.options.partitions })));
      if (this.options.callEventLog) await ensureCallEventsCheckpoint(this.dataSource);
      this.topicsReady = true;
    }
    return this.dataSource.transaction(async (tx: EntityManager): Promise<Iteration> => {
      // Whether the log is held is asked first, with the lock, and again by the log's read: a
      // republish that releases its hold between this iteration's outbox read and its log read has
      // committed its last rows before that release, but this iteration read the outbox before
      // them; seen held here, the log waits for the next iteration.
      const { lockKey, callEventLog } = this.options;
      const [gate] = (await tx.query(
        `SELECT ${lockKey !== null ? 'pg_try_advisory_xact_lock($1)' : 'true'} AS ok, ${callEventLog ? CALL_EVENT_LOG_HELD : 'false'} AS held`,
        lockKey !== null ? [lockKey] : [],
      )) as Array<{ ok: boolean; held: boolean }>;
      if (!gate?.ok) return { kind: 'locked' };
      const held = gate.held;
      const runner = tx.queryRunner!;
      const sql: SqlExecutor = { query: (text, params) => preparedQuery(runner, text, params ?? []) };
      const { batchSize } = this.options;
      const rows = await sql.query<OutboxRow>(
        // o.id: ordering by a text alias `id` would sort '10' before '9'
        `SELECT o.id::text AS id, o.topic, o.key, o.value::text AS value, o.headers
           FROM outbox o ORDER BY o.id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      // With no call-event rows in the outbox, each batch is shared between its rows (finalised
      // views: a backlog after a Kafka outage) and the log's live events, which then do not wait
      // for all of it. While call-event rows wait there (a republish; the version before the log
      // relay, during the upgrade), the log's events go after them, once they all fit in one
      // batch: a call's earlier events must reach its key before its later ones. Asked after
      // reading the rows, so that a republish batch committed meanwhile is seen. (While a republish
      // runs, the log is not read at all: its hold, `held` above.)
      const sharing =
        this.options.callEventLog && !held && !rows.some((r) => r.topic === CALL_EVENTS_TOPIC) && !(await callEventRowsWait(sql));
      const considered = sharing ? rows.slice(0, Math.ceil(batchSize / 2)) : rows;
      // One publish is one produce request, kept within MAX_PUBLISH_BYTES: the rows past it wait
      // for the next iteration (the broker refuses an oversized batch whole, again on every resend).
      const outbox = considered.map(toMessage);
      const { count: taken, bytes } = fitWithinBytes(outbox, sharing ? MAX_PUBLISH_BYTES / 2 : MAX_PUBLISH_BYTES);
      const sent = outbox.slice(0, taken);
      const readLog = this.options.callEventLog && !held && (sharing || (rows.length < batchSize && taken === rows.length));
      const logged = readLog ? await readCallEvents(sql, batchSize, MAX_PUBLISH_BYTES - bytes) : { messages: [], last: null, more: false };
      const count = logged.messages.length + sent.length;
      if (count === 0) return held ? { kind: 'held' } : { kind: 'relayed', count: 0, full: false };
      await this.publishUnlessAbandoned([...sent, ...logged.messages]);
      if (sent.length > 0) await sql.query(`DELETE FROM outbox WHERE id = ANY($1::bigint[])`, [rows.slice(0, taken).map((r) => r.id)]);
      await advanceCallEvents(sql, logged);
      this.counters.batches += 1;
      // counted before COMMIT: if the commit fails the rows go out again, which at-least-once allows
      this.counters.published += count;
      return { kind: 'relayed', count, full: logged.more || rows.length >= batchSize || taken < rows.length };
    });
  }

  private publishUnlessAbandoned(messages: OutgoingMessage[]): Promise<void> {
    if (this.pastDrainDeadline) return Promise.reject(new Error('publish abandoned at the relay\'s drain deadline'));
    const publish = this.publisher.publish(messages);
    const abandoned = new Promise<never>((_, reject) => {
      this.abandonPublish = () => reject(new Error('publish abandoned at the relay\'s drain deadline'));
    });
    return Promise.race([publish, abandoned]).finally(() => {
      this.abandonPublish = undefined;
      publish.catch(() => undefined);
    });
  }

  private async run(): Promise<void> {
    let backoff = this.options.initialBackoffMs;
    // Polling an empty log and outbox every 50 ms cost an idle service 5 % of a core (measured):
    // an idle relay sleeps longer and longer, and the writer's poke after each commit wakes it.
    let idle = this.options.idleDelayMs;
    while (!this.stopping) {
      let result: Iteration;
      this.pokedWhileBusy = false;
      try {
        result = await this.relayOnce();
      } catch (error) {
        this.noteFailure(error);
        await this.pause(backoff, false);
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs);
        continue;
      }
      this.noteSuccess();
      backoff = this.options.initialBackoffMs;
      if (result.kind === 'locked' || result.kind === 'held') {
        // another relay is active (it sends this instance's commits too), or the log is held:
        // tried again after the short delay, not at every poke — those come after every commit,
        // and the relay opened a transaction (a pooled connection) after nearly every push
        await this.pause(this.options.idleDelayMs, false);
      } else if (result.full) {
        continue; // more waiting
      } else if (result.count > 0) {
        idle = this.options.idleDelayMs;
        await this.pause(idle, false); // let the next batch gather; pokes would make it one commit each
      } else {
        await this.pause(idle, true);
        idle = Math.min(idle * 2, Math.max(this.options.maxIdleDelayMs, this.options.idleDelayMs));
      }
    }
  }

  private noteFailure(error: unknown): void {
    this.counters.failures += 1;
    this.lastError = describe(error);
    if (this.failingSince === undefined) {
      this.failingSince = Date.now();
      this.logger.warn(`outbox relay cannot relay, retrying with backoff up to ${this.options.maxBackoffMs} ms: ${this.lastError}`);
    }
  }

  private noteSuccess(): void {
    if (this.failingSince !== undefined) {
      const seconds = ((Date.now() - this.failingSince) / 1000).toFixed(1);
      this.failingSince = undefined;
      this.logger.log(`outbox relay recovered after ${seconds}s (${this.counters.failures} failed tries so far)`);
    }
  }

  /** Sleeps ms; stop() always cuts it short, poke() only when pokeable (idle, not backing off or gathering). */
  private pause(ms: number, pokeable: boolean): Promise<void> {
    if (this.stopping) return Promise.resolve();
    if (pokeable && this.pokedWhileBusy) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wake === done || this.wake === onlyStop) this.wake = undefined;
        resolve();
      };
      // stop() sets `stopping` before it pokes; a plain poke during backoff re-arms and waits on
      const onlyStop = () => {
        if (this.stopping) done();
        else this.wake = onlyStop;
      };
      const timer = setTimeout(done, ms);
      this.wake = pokeable ? done : onlyStop;
    });
  }
}

function toMessage(row: OutboxRow): OutgoingMessage {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(row.headers ?? {})) {
    if (v !== null && v !== undefined) headers[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return { topic: row.topic, key: row.key, value: row.value, headers };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
