import type { SqlExecutor } from '#event-store';

/**
 * Open, unflagged calls whose last push is at or before `cutoff`, oldest first: read through the
 * partial index on `opened_at` (never a scan of every call). The index is on `opened_at`, not
 * `last_push_at`, so that a push can update its row in place (migration CallsHotUpdates); since
 * opened_at ≤ last_push_at, every call that qualifies is in the index range, and a call opened
 * before the cutoff that is still pushing is read and skipped.
 */
export async function overdueCandidates(db: SqlExecutor, cutoff: Date, limit: number): Promise<string[]> {
  const rows = await db.query<{ call_id: string }>(
    `SELECT call_id FROM calls
      WHERE status = 'OPEN' AND NOT cdr_overdue AND opened_at <= $1 AND last_push_at <= $1
      ORDER BY opened_at, call_id LIMIT $2`,
    [cutoff.toISOString(), limit],
  );
  return rows.map((r) => r.call_id);
}
