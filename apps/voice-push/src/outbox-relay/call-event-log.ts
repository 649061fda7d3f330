// The call-events topic read straight from the event log, instead of an outbox row per event.
//
// An outbox row per event cost every push an insert, an index entry, a select and a delete of
// about 1.2 KB: measured at 1,500 pushes/s, 27 % of the WAL a push wrote (5,254 → 3,810 B).
// The events are already in the log, in the same commit; the relay reads them from a
// checkpoint — the way DESIGN §3 allows, and the way the event store's own readers do:
// - only rows whose writing transaction has finished (`transaction_id < xmin` of the snapshot),
//   so a transaction that commits late with a lower position is waited for, never skipped;
// - in (transaction_id, position) order, resuming after the checkpoint's pair. A call's next
//   append starts after its previous one committed, so its transaction ids rise with its
//   versions: per-call order holds, with one instance or several.
// The price: a long transaction that writes (in any database of the cluster) holds the call
// events back until it ends. Nothing is lost, and the finalised views still go out by the outbox.
//
// The envelope is built by Postgres (contract §5), here and nowhere else: the relay passes its
// text through without parsing and serialising each event again, and the admin republish
// enqueues the same envelope (`enqueueCallEventsAgain`).
import { fitWithinBytes, type OutgoingMessage } from '#messaging';
import { CALL_EVENTS_TOPIC, EVENT_ID_HEADER, EVENT_TYPE_HEADER } from '#contracts';
import { EVENT_TYPE_COUNTS, OUTBOX_COUNTS, totalCountSql, type SqlExecutor } from '#event-store';

/** A place in the log: the event's transaction id (xid8, as text) and its position. */
export interface LogCursor {
  transactionId: string;
  position: string;
}

export interface CallEventBatch {
  messages: OutgoingMessage[];
  /** the cursor of the last message; null when nothing is new */
  last: LogCursor | null;
  /** more events wait after these: the read was full, or cut to its bytes */
  more: boolean;
}

export const CALL_EVENTS_CHECKPOINT = 'call-events';

const ISO_MS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/**
 * The contract's call-event envelope of the event `e`. The accountId is the one the writer fixed in
 * the event's metadata (the call's as of the event's commit); events written before it did that
 * take their call's current one from `calls` (COALESCE evaluates that lookup only for them). Times
 * as JavaScript's toISOString.
 */
const ENVELOPE = `json_build_object(
    'eventId', e.event_id, 'type', e.type, 'callId', e.stream_id,
    'accountId', coalesce(e.metadata->>'accountId', (SELECT c.account_id FROM calls c WHERE c.call_id = e.stream_id)),
    'version', e.version, 'position', e.position::text,
    'occurredAt', to_char(e.occurred_at AT TIME ZONE 'UTC', ${ISO_MS}),
    'recordedAt', to_char(e.recorded_at AT TIME ZONE 'UTC', ${ISO_MS}),
    'data', e.data)`;

/**
 * Locks the checkpoint (FOR UPDATE: a second relay waits, then reads the advanced one) and reads
 * the finished events after it.
 *
 * The checkpoint enters as scalar subqueries, not a join: compared with a joined row's columns,
 * Postgres filters every event of the index below xmin instead of starting the index scan at the
 * checkpoint (measured: all 5,499 index entries read for a batch of 500, and Postgres CPU per push
 * up by a fifth at 1,500 pushes/s).
 */
const AFTER_CHECKPOINT = (name: string) => `(e.transaction_id, e.position) >
      ((SELECT k.transaction_id FROM ${name} k), (SELECT k.position FROM ${name} k))`;

/** The holds on the log in force (see holdCallEventLog): a lapsed one holds nothing. */
const HOLDS_IN_FORCE = `SELECT name FROM relay_holds WHERE held_until > now()`;

/** Whether a hold on the log is in force, as an SQL expression (the relay asks it with its lock). */
export const CALL_EVENT_LOG_HELD = `EXISTS (${HOLDS_IN_FORCE})`;

const READ = `
  WITH checkpoint AS MATERIALIZED (
    SELECT transaction_id, position FROM relay_checkpoints WHERE name = $1 FOR UPDATE
  )
  SELECT e.transaction_id::text AS transaction_id, e.position::text AS position, e.stream_id AS key,
         e.event_id::text AS event_id, e.type, ${ENVELOPE}::text AS value
    FROM events e
   WHERE ${AFTER_CHECKPOINT('checkpoint')}
     AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
     AND NOT ${CALL_EVENT_LOG_HELD}
   ORDER BY e.transaction_id, e.position
   LIMIT $2`;

/** `relayed` counts the events passed, for the backlog (migration CountRelayedEvents). */
const ADVANCE = `
  UPDATE relay_checkpoints
     SET transaction_id = $2::xid8, position = $3::bigint, relayed = relayed + $4::bigint, updated_at = now()
   WHERE name = $1`;

/**
 * The admin republish: outbox rows carrying these events again, the envelope as the relay sends
 * it, in commit order; `position` marks them as republished.
 */
const ENQUEUE_AGAIN = `
  INSERT INTO outbox (position, topic, key, value, headers)
  SELECT e.position, '${CALL_EVENTS_TOPIC}', e.stream_id, ${ENVELOPE}::jsonb,
         jsonb_build_object('${EVENT_ID_HEADER}', e.event_id, '${EVENT_TYPE_HEADER}', e.type)
    FROM events e
   WHERE e.position = ANY($1::bigint[])
   ORDER BY e.transaction_id, e.position
  RETURNING id`;

/** A lost checkpoint row starts again from the beginning: everything again rather than a gap. */
const ENSURE = `
  INSERT INTO relay_checkpoints (name, transaction_id, position) VALUES ($1, '0'::xid8, 0)
  ON CONFLICT (name) DO NOTHING`;

interface LogRow {
  transaction_id: string;
  position: string;
  key: string;
  event_id: string;
  type: string;
  value: string;
}

export async function readCallEvents(db: SqlExecutor, limit: number, maxBytes = Infinity): Promise<CallEventBatch> {
  const rows = await db.query<LogRow>(READ, [CALL_EVENTS_CHECKPOINT, limit]);
  const all = rows.map((r) => ({
    topic: CALL_EVENTS_TOPIC,
    key: r.key,
    value: r.value,
    headers: { [EVENT_ID_HEADER]: r.event_id, [EVENT_TYPE_HEADER]: r.type },
  }));
  // the first events within the bytes of one publish; the checkpoint then stops after the last of them
  const taken = fitWithinBytes(all, maxBytes).count;
  const tail = rows[taken - 1];
  return {
    messages: all.slice(0, taken),
    last: tail ? { transactionId: tail.transaction_id, position: tail.position } : null,
    more: rows.length >= limit || taken < rows.length,
  };
}

/**
 * Whether call-event rows wait in the outbox (a republish's, or the version before the log
 * relay's); read on a partial index that holds only them (migration IndexOutboxCallEventRows).
 * `min(id)`: an EXISTS was planned as a scan of the whole outbox on a busy, unvacuumed table.
 */
export async function callEventRowsWait(db: SqlExecutor): Promise<boolean> {
  const [row] = await db.query<{ first: string | null }>(
    `SELECT min(id)::text AS first FROM outbox WHERE topic = '${CALL_EVENTS_TOPIC}'`,
  );
  return (row?.first ?? null) !== null;
}

/**
 * Holds the log (`relay_holds`): until `release` or the lease runs out, the relay reads no call
 * event from it, and the outbox alone goes out. An operator's republish holds it for its whole
 * run: the relay empties the outbox between two of its batches, and a live event read from the
 * log then would reach Kafka before the earlier events of its call that the job has yet to
 * enqueue. Taken (committed) before the job's snapshot, so every event the job leaves out — it
 * committed later — waits in the log; renewed as the job goes (the same call). The live call
 * events wait for the whole run, and the finalised views still go out.
 */
export async function holdCallEventLog(db: SqlExecutor, name: string, leaseMs: number): Promise<void> {
  await db.query(`DELETE FROM relay_holds WHERE held_until <= now()`); // those of jobs whose instance died
  await db.query(
    `INSERT INTO relay_holds (name, held_until) VALUES ($1, now() + $2::int * interval '1 millisecond')
     ON CONFLICT (name) DO UPDATE SET held_until = EXCLUDED.held_until`,
    [name, leaseMs],
  );
}

/** Renews an unexpired hold; false when it had lapsed (the relay may have read the log meanwhile). */
export async function renewCallEventLogHold(db: SqlExecutor, name: string, leaseMs: number): Promise<boolean> {
  // a SELECT around the UPDATE: TypeORM answers an UPDATE with [rows, count], not the rows
  const [renewed] = await db.query<{ n: number }>(
    `WITH renewed AS (
       UPDATE relay_holds SET held_until = now() + $2::int * interval '1 millisecond'
        WHERE name = $1 AND held_until > now() RETURNING name)
     SELECT count(*)::int AS n FROM renewed`,
    [name, leaseMs],
  );
  return (renewed?.n ?? 0) > 0;
}

export async function releaseCallEventLog(db: SqlExecutor, name: string): Promise<void> {
  await db.query(`DELETE FROM relay_holds WHERE name = $1`, [name]);
}

/** The names of the holds in force, the oldest first (a republish's: `republish {jobId}`). */
export async function callEventLogHolds(db: SqlExecutor): Promise<string[]> {
  const rows = await db.query<{ name: string }>(`${HOLDS_IN_FORCE} ORDER BY created_at, name`);
  return rows.map((r) => r.name);
}

/** Moves the checkpoint past `batch` (as `readCallEvents` gave it); nothing to do when it was empty. */
export async function advanceCallEvents(db: SqlExecutor, batch: CallEventBatch): Promise<void> {
  if (!batch.last) return;
  await db.query(ADVANCE, [CALL_EVENTS_CHECKPOINT, batch.last.transactionId, batch.last.position, batch.messages.length]);
}

/** Enqueues the events at `positions` on the call-events topic again; returns how many rows it wrote. */
export async function enqueueCallEventsAgain(db: SqlExecutor, positions: string[]): Promise<number> {
  if (positions.length === 0) return 0;
  return (await db.query(ENQUEUE_AGAIN, [positions])).length;
}

export async function ensureCallEventsCheckpoint(db: SqlExecutor): Promise<void> {
  await db.query(ENSURE, [CALL_EVENTS_CHECKPOINT]);
}

/**
 * What has not reached Kafka yet: the call events not relayed (the events stored, from their kept
 * counts, minus the checkpoint's `relayed`) plus the outbox rows (kept counts too) — a few small
 * rows whatever the backlog, so it stays readable while Kafka is away and the backlog grows.
 * `age`: seconds since the first event waiting was recorded (the next the relay sends, in commit
 * order) or the first outbox row was written, whichever is older; null when nothing waits.
 * Without a relay (no KAFKA_BROKERS) both keep growing: the events wait in the store.
 */
export const RELAY_BACKLOG_SQL = `
  WITH checkpoint AS MATERIALIZED (
    SELECT transaction_id, position, relayed FROM relay_checkpoints WHERE name = '${CALL_EVENTS_CHECKPOINT}'
  )
  SELECT (${totalCountSql(EVENT_TYPE_COUNTS)} - coalesce((SELECT relayed FROM checkpoint), 0)
          + ${totalCountSql(OUTBOX_COUNTS)})::int AS events,
         EXTRACT(EPOCH FROM (now() - least(
           (SELECT e.recorded_at FROM events e WHERE ${AFTER_CHECKPOINT('checkpoint')}
             ORDER BY e.transaction_id, e.position LIMIT 1),
           (SELECT o.created_at FROM outbox o ORDER BY o.id LIMIT 1))))::float8 AS age`;

export interface RelayBacklog {
  events: number;
  age: number | null;
}
