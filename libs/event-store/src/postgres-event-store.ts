import type { DataSource, QueryRunner } from 'typeorm';
import {
  EventStore,
  WrongExpectedVersionError,
  type AppendRequest,
  type OutboxMessage,
  type SqlExecutor,
  type StoredEvent,
} from './event-store.port.js';
import { insertOutboxMessages } from './outbox-rows.js';
import { QueryRunnerSqlExecutor } from './sql-executor.js';

/** The unique constraint on (stream_id, version), named by the CreateEvents migration. */
export const STREAM_VERSION_CONSTRAINT = 'events_stream_id_version_key';

const EVENT_COLUMNS = `position::text AS position, event_id, stream_id, version, type, data,
  metadata, occurred_at, recorded_at`;

/**
 * Every event of every request in ONE statement. The batch travels as one jsonb parameter
 * (`jsonb_to_recordset`): the statement text does not depend on the batch size, and Node does one
 * JSON.stringify instead of escaping every JSON value into a Postgres array literal.
 *
 * Optimistic concurrency, two guards:
 * - the WHERE clause: a stream's rows go in only if its last committed version (as of the
 *   statement's snapshot) equals the expected version. This catches what no collision would:
 *   a writer ahead of the stream (expected 5 on a stream at 3 would leave a gap at 4), and a
 *   stale writer whose versions are free (cannot happen while versions are gapless, but the
 *   check does not rely on it). It is one index probe per row (max over the unique index).
 * - the unique (stream_id, version): two writers that both passed the WHERE clause at the same
 *   expected version collide on `expected + 1`; the second waits for the first to commit and then
 *   skips its row (ON CONFLICT DO NOTHING).
 * Either way a request gets fewer rows back than it sent, which names the stream that lost;
 * the whole transaction is then rolled back. (No exception inside the statement, so a batch of
 * several streams knows exactly which one conflicted.)
 *
 * Rows are inserted ordered by (stream_id, version) so that two concurrent batches touching the
 * same streams take their index locks in the same order and cannot deadlock. Only what the
 * database assigns comes back: the writer has the rest.
 */
const INSERT_EVENTS = `
  INSERT INTO events (stream_id, version, type, data, metadata, occurred_at)
  SELECT i.stream_id, i.version, i.type, i.data, i.metadata, i.occurred_at
  FROM jsonb_to_recordset($1::jsonb)
         AS i(stream_id text, expected_version int, version int, type text, data jsonb, metadata jsonb,
              occurred_at timestamptz)
  WHERE coalesce((SELECT max(e.version) FROM events e WHERE e.stream_id = i.stream_id), 0)
        = i.expected_version
  ORDER BY i.stream_id COLLATE "C", i.version
  ON CONFLICT (stream_id, version) DO NOTHING
  RETURNING position::text AS position, event_id, stream_id, version, recorded_at`;

/** What INSERT_EVENTS returns for each row it wrote. */
interface AssignedRow {
  position: string;
  event_id: string;
  stream_id: string;
  version: number;
  recorded_at: Date | string;
}

const READ_STREAM = `
  SELECT ${EVENT_COLUMNS} FROM events
  WHERE stream_id = $1 AND version >= $2
  ORDER BY version`;

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

function isUniqueViolationOnStreamVersion(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e?.driverError?.code ?? e?.code;
  const constraint = e?.driverError?.constraint ?? e?.constraint;
  return code === '23505' && constraint === STREAM_VERSION_CONSTRAINT;
}

/** Which request a unique-violation detail names: `Key (stream_id, version)=(s, 3) already exists.` */
function requestNamedBy(err: unknown, requests: AppendRequest[]): AppendRequest {
  const e = err as { detail?: string; driverError?: { detail?: string } };
  const detail = e?.driverError?.detail ?? e?.detail ?? '';
  return (
    requests.find((r) =>
      r.events.some((_, i) => detail.includes(`=(${r.streamId}, ${r.expectedVersion + i + 1})`)),
    ) ?? requests[0]!
  );
}

export class PostgresEventStore extends EventStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async append(request: AppendRequest): Promise<StoredEvent[]> {
    const [stored] = await this.appendMany([request]);
    return stored!;
  }

  /**
   * One transaction for all requests: BEGIN, one INSERT of all events, one INSERT of all outbox
   * rows (skipped when there are none), each request's inTransaction in order, the batch's
   * inTransaction, COMMIT.
   * All or nothing: a conflict on any stream rolls everything back and throws
   * WrongExpectedVersionError for that stream (the first such request, in request order).
   */
  async appendMany(
    requests: AppendRequest[],
    inTransaction?: (tx: SqlExecutor, stored: StoredEvent[][]) => Promise<void>,
  ): Promise<StoredEvent[][]> {
    if (requests.length === 0) return [];
    validate(requests);

    const rows: Record<string, unknown>[] = [];
    for (const r of requests) {
      r.events.forEach((e, i) => {
        rows.push({
          stream_id: r.streamId,
          expected_version: r.expectedVersion,
          version: r.expectedVersion + i + 1,
          type: e.type,
          data: e.data,
          metadata: e.metadata,
          occurred_at: e.occurredAt.toISOString(),
        });
      });
    }

    const runner = this.dataSource.createQueryRunner('master');
    try {
      await this.begin(runner);
      let assigned: AssignedRow[];
      try {
        const result = await runner.query(INSERT_EVENTS, [JSON.stringify(rows)], true);
        assigned = (result.records ?? []) as AssignedRow[];
      } catch (err) {
        if (isUniqueViolationOnStreamVersion(err)) {
          const r = requestNamedBy(err, requests);
          throw new WrongExpectedVersionError(r.streamId, r.expectedVersion);
        }
        throw err;
      }

      const stored = storedEvents(requests, assigned);
      const outbox: OutboxMessage[] = [];
      requests.forEach((r, i) => {
        if (r.outbox) outbox.push(...r.outbox(stored[i]!));
      });
      await insertOutboxMessages(new QueryRunnerSqlExecutor(runner), outbox);

      const tx = new QueryRunnerSqlExecutor(runner);
      for (const [i, r] of requests.entries()) {
        if (r.inTransaction) await r.inTransaction(tx, stored[i]!);
      }
      if (inTransaction) await inTransaction(tx, stored);

      await runner.commitTransaction();
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
      throw err;
    } finally {
      await runner.release();
    }
  }

  async readStream(streamId: string, fromVersion = 1): Promise<StoredEvent[]> {
    const rows = (await this.dataSource.query(READ_STREAM, [streamId, fromVersion])) as EventRow[];
    return rows.map(toStoredEvent);
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

/**
 * The requests' events as stored: what the writer sent plus what the database assigned.
 * A request missing any row lost a race (see INSERT_EVENTS).
 */
function storedEvents(requests: AppendRequest[], assigned: AssignedRow[]): StoredEvent[][] {
  const byKey = new Map<string, AssignedRow>();
  for (const row of assigned) byKey.set(`${row.version} ${row.stream_id}`, row);
  return requests.map((r) =>
    r.events.map((e, i): StoredEvent => {
      const version = r.expectedVersion + i + 1;
      const row = byKey.get(`${version} ${r.streamId}`);
      if (!row) throw new WrongExpectedVersionError(r.streamId, r.expectedVersion);
      return {
        ...e,
        eventId: row.event_id,
        position: row.position,
        streamId: r.streamId,
        version,
        recordedAt: row.recorded_at instanceof Date ? row.recorded_at : new Date(row.recorded_at),
      };
    }),
  );
}
