import type { SqlExecutor } from './event-store.port.js';
import { POSITION_BLOCK } from './migrations/1764100000001-position-blocks.migration.js';

/**
 * Hands out event positions drawn in blocks from the `events.position` sequence, so an append
 * knows its positions before it writes and can insert events, their outbox rows and a read model
 * in one statement (one round trip, one commit).
 *
 * The sequence steps by a block (migration PositionBlocks): one `nextval` reserves its value and
 * the `step - 1` after it. On a sequence that still steps by 1 each `nextval` is one position and
 * a refill draws as many as it needs. The step comes with every draw, so the allocator follows
 * the migration without a restart.
 *
 * Positions stay unique (one sequence) but, as before, are not commit order: a reader of the whole
 * log orders by (transaction_id, position) — see PostgresEventStore.readAll. Unused positions of
 * a block are gaps, as a rolled-back nextval always was.
 */
export class PositionAllocator {
  private block: bigint[] = [];
  private next = 0;
  private refill: Promise<void> | null = null;
  /** the sequence's step as of the last draw; 0 before the first */
  private step = 0;

  constructor(
    private readonly db: SqlExecutor,
    /** positions a refill takes at least: the sequence's step, once migrated */
    private readonly blockSize = POSITION_BLOCK,
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
    const wanted = Math.max(this.blockSize, atLeast);
    const draws = this.step > 0 ? Math.ceil(wanted / this.step) : 1;
    // one refill at a time: concurrent takers wait for it instead of each drawing a block
    this.refill ??= this.db
      .query<{ p: string; step: number }>(DRAW, [draws])
      .then((rows) => {
        this.step = Number(rows[0]?.step ?? 1);
        const starts = rows.map((r) => BigInt(r.p)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        this.block = starts.flatMap((start) => Array.from({ length: this.step }, (_, i) => start + BigInt(i)));
        this.next = 0;
      })
      .finally(() => {
        this.refill = null;
      });
    return this.refill;
  }
}

const DRAW = `
  SELECT nextval(q.seq)::text AS p, s.seqincrement::int AS step
    FROM (SELECT pg_get_serial_sequence('events', 'position')::regclass AS seq) q
    JOIN pg_sequence s ON s.seqrelid = q.seq
   CROSS JOIN generate_series(1, $1::int)`;
