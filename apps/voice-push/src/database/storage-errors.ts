const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

/**
 * True when the error says Postgres could not be reached or could not take the write (a restart,
 * a crash, a full disk, the statement timeout): the push is then answered 503 and the sender's retries bring it back.
 */
export function isStorageUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (CONNECTION_CODES.has(code)) return true;
    // 08: connection exception, 53: insufficient resources, 57P: operator intervention (shutdown),
    // 57014: cancelled, which is how the pool's statement timeout ends a write Postgres could not
    // take in time (a lock held elsewhere, a stall) — the read timeout it comes before was already here.
    if (/^(08|53|57P)/.test(code) || code === '57014') return true;
  }
  return /Query read timeout|Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection refused|the database system is (starting up|shutting down)/i.test(
    error.message,
  );
}
