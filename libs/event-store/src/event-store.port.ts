// The event store port. An abstract class so that Nest can use it as the DI token.

export interface NewEvent {
  /** explicit stored type name, e.g. 'StatusRecorded' — never a class name */
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** when it happened in the domain (from command metadata) */
  occurredAt: Date;
}

export interface StoredEvent extends NewEvent {
  /** a UUIDv7 (time-ordered) given at append; the Kafka envelope's eventId, what consumers dedupe by */
  eventId: string;
  position: string; // bigint as a decimal string
  streamId: string;
  version: number; // 1-based, gapless per stream
  recordedAt: Date;
}

/** A row for the Kafka relay, written in the same transaction as the events it comes from. */
export interface OutboxMessage {
  topic: string;
  key: string;
  /** JSON value */
  value: unknown;
  headers: Record<string, string>;
  /** the position of the stored event this message carries, if any (kept on the outbox row) */
  position?: string;
}

/** Extra writes that must commit atomically with the append (read models). */
export type InTransaction = (tx: SqlExecutor) => Promise<void>;

export interface SqlExecutor {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

/**
 * A write that goes in the same statement as an append (a read model), as a data-modifying CTE:
 * `sql` reads `rows` from the jsonb parameter `$3` (e.g. with `jsonb_to_recordset($3::jsonb)`).
 * It commits or fails with the events.
 */
export interface AlsoWrite {
  sql: string;
  rows: unknown[];
}

export interface AppendRequest {
  streamId: string;
  /** version of the last event the writer saw; 0 for a new stream */
  expectedVersion: number;
  events: NewEvent[];
  /** may be a function of the stored events (which then carry their positions) */
  outbox?: (stored: StoredEvent[]) => OutboxMessage[];
  /**
   * Runs after the append, in its transaction. Costs a transaction block and round trips of its
   * own; the hot path uses `AlsoWrite` instead.
   */
  inTransaction?: (tx: SqlExecutor, stored: StoredEvent[]) => Promise<void>;
}

export class WrongExpectedVersionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
    /** of a batch (appendMany): every stream whose append conflicted, this one first */
    readonly streamIds: readonly string[] = [streamId],
  ) {
    super(`stream ${streamId}: expected version ${expectedVersion} is no longer current`);
    this.name = 'WrongExpectedVersionError';
  }
}

export abstract class EventStore {
  /** Appends atomically; throws WrongExpectedVersionError when another writer got there first. */
  abstract append(request: AppendRequest): Promise<StoredEvent[]>;
  /**
   * Appends several streams at once (group commit); all or nothing. `alsoWrite` goes in with them.
   */
  abstract appendMany(requests: AppendRequest[], alsoWrite?: AlsoWrite): Promise<StoredEvent[][]>;
  abstract readStream(streamId: string, fromVersion?: number): Promise<StoredEvent[]>;
  /** Several whole streams in one read; a stream with no events maps to []. */
  abstract readStreams(streamIds: readonly string[]): Promise<Map<string, StoredEvent[]>>;
  /**
   * Committed events after a checkpoint, for rebuilds and republish. Pass '0' to start, then the
   * `position` of the last event of the previous batch. Events come in commit-safe order: by
   * writing transaction, then position (which is position order whenever writers do not overlap);
   * an event whose transaction is still in progress is held back, so a reader that follows the
   * checkpoint never skips an event that commits later with a lower position.
   */
  abstract readAll(fromPosition: string, limit: number): Promise<StoredEvent[]>;
}
