import type { SqlExecutor } from '../event-store.port.js';

/**
 * Waits until every event stored so far can be read by the log's readers: they only read what
 * transactions older than the snapshot's xmin wrote, and xmin is the cluster's — a transaction of
 * another test, in another database, still running holds it back. Tests that read the log right
 * after appending wait for this first.
 */
export async function logSettled(db: SqlExecutor, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await db.query<{ settled: boolean }>(
      `SELECT pg_snapshot_xmin(pg_current_snapshot()) > coalesce((SELECT max(transaction_id) FROM events), '0'::xid8) AS settled`,
    );
    if (row?.settled) return;
    if (Date.now() > deadline) throw new Error(`the event log did not settle within ${timeoutMs} ms (a long transaction on the cluster?)`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
