import type { DataSource, QueryRunner } from 'typeorm';
import {
  EventStore,
  WrongExpectedVersionError,
  type AlsoWrite,
  type AppendRequest,
  type OutboxMessage,
  type StoredEvent,
} from './event-store.port.js';
import { newEventId } from './event-id.js';
import { insertOutboxSql, outboxRows } from './outbox-rows.js';
import { PositionAllocator } from './position-allocator.js';
import { preparedQuery } from './prepared-query.js';
import { QueryRunnerSqlExecutor } from './sql-executor.js';

const EVENT_COLUMNS = `position::text AS position, event_id, stream_id, version, type, data,
  metadata, occurred_at, recorded_at`;

/** SQLSTATE raised by `event_store_conflict` (migration CreateAppendConflict). */
const CONFLICT = 'ES409';

/**
 * A whole batch in ONE statement: the events, their outbox rows and the caller's `alsoWrite`
 * (a read model). One round trip and, outside a transaction block, one commit. Everything the
 * rows need is decided before (positions from the PositionAllocator, ids and recordedAt here), so
 * the outbox rows can carry the stored events. Each list travels as one jsonb parameter
 * (`jsonb_to_recordset`): Node does one JSON.stringify instead of escaping every JSON value into
 * an array literal, and the statement text does not depend on the batch size.
 *
 * Optimistic concurrency, two guards:
 * - the WHERE clause: a stream's rows go in only if its last committed version (as of the
 *   statement's snapshot) equals the expected version. This catches what no collision would:
 *   a writer ahead of the stream (expected 5 on a stream at 3 would leave a gap at 4), and a
 *   stale writer whose versions are free. It is one index probe per row.
 * - the unique (stream_id, version): two writers that both passed the WHERE clause at the same
 *   expected version collide on `expected + 1`; the second waits for the first to commit and then
 *   skips its row (ON CONFLICT DO NOTHING).
 * Either way a row is missing from `appended`, and the final SELECT calls event_store_conflict()
 * for it, which aborts the whole statement (all or nothing) naming the stream.
 *
 * Rows are inserted ordered by (stream_id, version) so that two concurrent batches touching the
 * same streams take their index locks in the same order and cannot deadlock.
 */
function appendSql(alsoWrite: string | undefined): string {
  const cached = appendSqlCache.get(alsoWrite);
  if (cached !== undefined) return cached;
  const sql = `
  WITH input AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb)
      AS i(position bigint, event_id uuid, stream_id text, expected_version int, version int, type text,
           data jsonb, metadata jsonb, occurred_at timestamptz, recorded_at timestamptz)
  ),
  appended AS (
    INSERT INTO events (position, event_id, stream_id, version, type, data, metadata, occurred_at, recorded_at)
    SELECT i.position, i.event_id, i.stream_id, i.version, i.type, i.data, i.metadata, i.occurred_at, i.recorded_at
    FROM input i
    WHERE coalesce((SELECT max(e.version) FROM events e WHERE e.stream_id = i.stream_id), 0)
          = i.expected_version
    ORDER BY i.stream_id COLLATE "C", i.version
    ON CONFLICT (stream_id, version) DO NOTHING
    RETURNING stream_id, version
  ),
  outboxed AS (${insertOutboxSql('$2')})${alsoWrite ? `,\n  also AS (${alsoWrite})` : ''}
  SELECT event_store_conflict(json_agg(DISTINCT i.stream_id)::text, min(i.version)) AS conflict
  FROM input i LEFT JOIN appended a ON a.stream_id = i.stream_id AND a.version = i.version
  WHERE a.stream_id IS NULL
  HAVING count(*) > 0`;
  appendSqlCache.set(alsoWrite, sql);
  return sql;
}
/** by `alsoWrite` text: a service has one or two, and the append is on every push's path */
const appendSqlCache = new Map<string | undefined, string>();

const READ_STREAM = `
  SELECT ${EVENT_COLUMNS} FROM events
  WHERE stream_id = $1 AND version >= $2
  ORDER BY version`;

/**
 * One index probe per stream (a lateral join on the stream id), so the plan does not depend on
 * the ids and its cached generic plan stays right when prepared. The `stream_id = ANY($1)` form
 * it replaces got a generic plan that walked the whole (stream_id, version) index (2 ms a call
 * instead of 0.012 ms) and was therefore planned afresh on every call.
 */
const READ_STREAMS = `
  SELECT ${EVENT_COLUMNS}
  FROM unnest($1::text[]) WITH ORDINALITY AS s(id, ord)
  CROSS JOIN LATERAL (SELECT * FROM events x WHERE x.stream_id = s.id ORDER BY x.version) e
  ORDER BY s.ord, e.version`;

/**
 * Skip-free read of the whole log. Sequences hand out positions in nextval order, not commit
 * order, so "position > last seen" alone skips for good a row that commits late with a lower
 * position. Two measures:
 * - only rows whose writing transaction has finished: `transaction_id < xmin` of the current
 *   snapshot (every xid below xmin is committed or aborted);
 * - order and resume by (transaction_id, position), not by position alone: concurrent writers'
 *   positions interleave (a transaction with the lower xid can draw a higher position than one
 *   still running), so a finished transaction's row may have a higher position than a row a
 *   running transaction will commit later; every transaction that can still commit has an xid
 *   >= xmin, i.e. sorts after everything returned.
 * The checkpoint stays a position: its transaction id is looked up (the event at that position,
 * or the nearest one before it).
 */
const READ_ALL = `
  SELECT ${EVENT_COLUMNS} FROM events e
  WHERE (e.transaction_id, e.position) > (
          coalesce((SELECT c.transaction_id FROM events c WHERE c.position <= $1::bigint
                    ORDER BY c.position DESC LIMIT 1), '0'::xid8),
          $1::bigint)
    AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
  ORDER BY e.transaction_id, e.position
  LIMIT $2`;

/** A row of `events` as pg returns it. */
export interface EventRow {
  position: string;
  event_id: string;
  stream_id: string;
  version: number;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  occurred_at: Date | string;
  recorded_at: Date | string;
}

export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    eventId: row.event_id,
    position: String(row.position),
    streamId: row.stream_id,
    version: Number(row.version),
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    occurredAt: row.occurred_at instanceof Date ? row.occurred_at : new Date(row.occurred_at),
    recordedAt: row.recorded_at instanceof Date ? row.recorded_at : new Date(row.recorded_at),
  };
}

function validate(requests: AppendRequest[]): void {
  const seen = new Set<string>();
  for (const r of requests) {
    if (typeof r.streamId !== 'string' || r.streamId.length === 0) {
      throw new TypeError('append: streamId must be a non-empty string');
    }
    if (!Number.isSafeInteger(r.expectedVersion) || r.expectedVersion < 0) {
      throw new RangeError(`append ${r.streamId}: expectedVersion must be an integer >= 0`);
    }
    if (r.events.length === 0) {
      throw new RangeError(`append ${r.streamId}: no events`);
    }
    for (const e of r.events) {
      if (!(e.occurredAt instanceof Date) || Number.isNaN(e.occurredAt.getTime())) {
        throw new TypeError(`append ${r.streamId}: event ${e.type} has an invalid occurredAt`);
      }
    }
    if (seen.has(r.streamId)) {
      throw new RangeError(`appendMany: stream ${r.streamId} appears more than once`);
    }
    seen.add(r.streamId);
  }
}

/**
 * The conflict names every stream whose append failed (a JSON array in its DETAIL): a group
 * commit with several stale calls — two instances sharing calls — is then retried once without
 * them, not once per stale call.
 */
function conflictOf(err: unknown, requests: AppendRequest[]): WrongExpectedVersionError | null {
  const e = err as { code?: string; detail?: string; driverError?: { code?: string; detail?: string } };
  if ((e?.driverError?.code ?? e?.code) !== CONFLICT) return null;
  const named = new Set(streamIdsOf(e?.driverError?.detail ?? e?.detail));
  const conflicting = requests.filter((r) => named.has(r.streamId));
  const first = conflicting[0] ?? requests[0]!;
  return new WrongExpectedVersionError(first.streamId, first.expectedVersion, conflicting.length > 0 ? conflicting.map((r) => r.streamId) : [first.streamId]);
}

function streamIdsOf(detail: string | undefined): string[] {
  try {
    const ids: unknown = JSON.parse(detail ?? '');
    if (Array.isArray(ids)) return ids.filter((id): id is string => typeof id === 'string');
  } catch {
    // not an array
  }
  return detail === undefined ? [] : [detail];
}

export class PostgresEventStore extends EventStore {
  private readonly positions: PositionAllocator;

  constructor(private readonly dataSource: DataSource) {
    super();
    this.positions = new PositionAllocator({ query: (sql, params) => this.prepared(sql, params ?? []) });
  }

  async append(request: AppendRequest): Promise<StoredEvent[]> {
    const [stored] = await this.appendMany([request]);
    return stored!;
  }

  /**
   * All requests in one statement (see appendSql), all or nothing: a conflict on any stream
   * aborts the batch and throws WrongExpectedVersionError for that stream. Requests with an
   * `inTransaction` hook get a transaction block around the statement and their hooks.
   */
  async appendMany(requests: AppendRequest[], alsoWrite?: AlsoWrite): Promise<StoredEvent[][]> {
    if (requests.length === 0) return [];
    validate(requests);

    const positions = await this.positions.take(requests.reduce((n, r) => n + r.events.length, 0));
    const recordedAt = new Date();
    let p = 0;
    const stored = requests.map((r) =>
      r.events.map(
        (e, i): StoredEvent => ({
          ...e,
          eventId: newEventId(),
          position: positions[p++]!,
          streamId: r.streamId,
          version: r.expectedVersion + i + 1,
          recordedAt,
        }),
      ),
    );
    const outbox: OutboxMessage[] = [];
    requests.forEach((r, i) => {
      if (r.outbox) outbox.push(...r.outbox(stored[i]!));
    });
    const input = requests.flatMap((r, k) =>
      stored[k]!.map((e) => ({
        position: e.position,
        event_id: e.eventId,
        stream_id: e.streamId,
        expected_version: r.expectedVersion,
        version: e.version,
        type: e.type,
        data: e.data,
        metadata: e.metadata,
        occurred_at: e.occurredAt.toISOString(),
        recorded_at: recordedAt.toISOString(),
      })),
    );
    const params = [JSON.stringify(input), JSON.stringify(outboxRows(outbox))];
    if (alsoWrite) params.push(JSON.stringify(alsoWrite.rows));
    const sql = appendSql(alsoWrite?.sql);

    const hooked = requests.some((r) => r.inTransaction);
    const runner = this.dataSource.createQueryRunner('master');
    try {
      if (hooked) await this.begin(runner);
      await preparedQuery(runner, sql, params);
      if (hooked) {
        const tx = new QueryRunnerSqlExecutor(runner);
        for (const [i, r] of requests.entries()) {
          if (r.inTransaction) await r.inTransaction(tx, stored[i]!);
        }
        await runner.commitTransaction();
      }
      return stored;
    } catch (err) {
      if (isReadTimeout(err)) {
        // Postgres stopped answering on this connection (a partition): a ROLLBACK would wait just
        // as long. Hand the connection back broken so the pool destroys it; the server rolls the
        // transaction back when the socket goes.
        await releaseBroken(runner, err);
      } else if (runner.isTransactionActive) {
        await runner.rollbackTransaction().catch(() => undefined);
      }
      throw conflictOf(err, requests) ?? err;
    } finally {
      await runner.release();
    }
  }
  async readStream(streamId: string, fromVersion = 1): Promise<StoredEvent[]> {
    const rows = await this.prepared<EventRow>(READ_STREAM, [streamId, fromVersion]);
    return rows.map(toStoredEvent);
  }

  async readStreams(streamIds: readonly string[]): Promise<Map<string, StoredEvent[]>> {
    const streams = new Map<string, StoredEvent[]>(streamIds.map((id) => [id, []]));
    if (streamIds.length === 0) return streams;
    const rows = await this.prepared<EventRow>(READ_STREAMS, [streamIds]);
    for (const row of rows) streams.get(row.stream_id)?.push(toStoredEvent(row));
    return streams;
  }

  async readAll(fromPosition: string, limit: number): Promise<StoredEvent[]> {
    if (!/^\d+$/.test(fromPosition)) {
      throw new TypeError(`readAll: fromPosition must be a decimal string, got ${fromPosition}`);
    }
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError('readAll: limit must be a positive integer');
    }
    const rows = (await this.dataSource.query(READ_ALL, [fromPosition, limit])) as EventRow[];
    return rows.map(toStoredEvent);
  }

  /** A hot read as a prepared statement on a pooled connection (see preparedQuery). */
  private async prepared<T>(text: string, values: unknown[]): Promise<T[]> {
    const runner = this.dataSource.createQueryRunner('master');
    try {
      return await preparedQuery<T>(runner, text, values);
    } finally {
      await runner.release();
    }
  }

  /**
   * The guards rely on READ COMMITTED (each statement sees what committed before it; a unique
   * conflict waits for the other writer and then skips). Postgres' default; stated explicitly
   * only when the DataSource sets another level, so the hot path has no extra round trip.
   */
  private async begin(runner: QueryRunner): Promise<void> {
    const level = this.dataSource.options.isolationLevel;
    await runner.startTransaction(level && level !== 'READ COMMITTED' ? 'READ COMMITTED' : undefined);
  }
}

/** pg's client-side `query_timeout` fired: the connection may still have the query outstanding. */
function isReadTimeout(err: unknown): boolean {
  const cause = (err as { driverError?: unknown })?.driverError ?? err;
  return cause instanceof Error && cause.message === 'Query read timeout';
}

async function releaseBroken(runner: QueryRunner, err: unknown): Promise<void> {
  // TypeORM's Postgres runner passes the error on to pg-pool, which then ends the client.
  const pgRunner = runner as QueryRunner & { releasePostgresConnection?: (e: unknown) => Promise<void> };
  await (pgRunner.releasePostgresConnection?.(err) ?? runner.release());
}

