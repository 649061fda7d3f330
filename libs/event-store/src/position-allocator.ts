import type { SqlExecutor } from './event-store.port.js';

/**
 * Hands out event positions drawn in blocks from the `events.position` sequence, so an append
 * knows its positions before it writes and can insert events, their outbox rows and a read model
 * in one statement (one round trip, one commit).
 *
 * Positions stay unique (one sequence) but, as before, are not commit order: a reader of the whole
 * log orders by (transaction_id, position) — see PostgresEventStore.readAll. Unused positions of
 * a block are gaps, as a rolled-back nextval always was.
 */
export class PositionAllocator {
  private block: bigint[] = [];
  private next = 0;
  private refill: Promise<void> | null = null;

  constructor(
    private readonly db: SqlExecutor,
    private readonly blockSize = 1_000,
  ) {}

  async take(count: number): Promise<string[]> {
    const taken: string[] = [];
    while (taken.length < count) {
      if (this.next >= this.block.length) await this.fill(count - taken.length);
      while (taken.length < count && this.next < this.block.length) taken.push(String(this.block[this.next++]));
    }
    return taken;
  }

  private fill(atLeast: number): Promise<void> {
    // one refill at a time: concurrent takers wait for it instead of each drawing a block
    this.refill ??= this.db
      .query<{ p: string }>(
        `SELECT nextval(pg_get_serial_sequence('events', 'position'))::text AS p FROM generate_series(1, $1::int)`,
        [Math.max(this.blockSize, atLeast)],
      )
      .then((rows) => {
        this.block = rows.map((r) => BigInt(r.p)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        this.next = 0;
      })
      .finally(() => {
        this.refill = null;
      });
    return this.refill;
  }
}
