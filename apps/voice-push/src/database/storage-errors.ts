import { WrongExpectedVersionError } from '#event-store';

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);
/**
 * Postgres codes that say the database cannot take this service's work now, whatever the work:
 * - 57014: cancelled, which is how the pool's statement timeout ends a write Postgres could not
 *   take in time (a lock held elsewhere, a stall) — the read timeout it comes before was already here;
 * - 25006: read-only, a standby the address still names after a failover;
 * - 55000: its connections closed (ALTER DATABASE … ALLOW_CONNECTIONS false, around maintenance);
 * - 3D000: the database gone; 28000 / 28P01: the login refused (a rotated password).
 * Judged one by one, each cost a round trip and a stack trace per push, and a query answered 500.
 */
const UNAVAILABLE_CODES = new Set(['57014', '25006', '55000', '3D000', '28000', '28P01']);

/**
 * True when the error says Postgres could not be reached or could not take the write (a restart,
 * a crash, a full disk, the statement timeout): the push is then answered 503 and the sender's retries bring it back.
 */
export function isStorageUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // A conflict names its stream, and a callId is any text the sender chose: "x Connection refused"
  // must not turn one call's conflict into 503s for a whole group commit.
  if (error instanceof WrongExpectedVersionError) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    // 08: connection exception, 53: insufficient resources, 57P: operator intervention (shutdown).
    // An error with a code is judged by its code alone: its message may quote the data.
    return CONNECTION_CODES.has(code) || /^(08|53|57P)/.test(code) || UNAVAILABLE_CODES.has(code);
  }
  // the driver's and the pool's own errors, which carry no code
  return /Query read timeout|Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection refused|the database system is (starting up|shutting down)/i.test(
    error.message,
  );
}

/**
 * The pool's statement timeout (57014): one write that waited too long — on a lock another
 * instance or a rebuild holds, or in a stall — not a database gone. The other calls' next writes
 * try for themselves (failing them all with it turned one held lock into 503s for every push
 * queued); the writes queued behind it for the same calls fail with it (CallSessionWriter).
 */
export function isStatementTimeout(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === '57014';
}

/** Postgres' lock_not_available (55P03): a `lock_timeout` or a `NOWAIT` ended the wait for a lock. */
export function isLockNotAvailable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '55P03';
}

/** Postgres gone, not one statement that waited too long: the next write would fare no better. */
export function isDatabaseAway(error: unknown): boolean {
  return isStorageUnavailable(error) && !isStatementTimeout(error);
}
