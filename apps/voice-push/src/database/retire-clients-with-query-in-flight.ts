import type pg from 'pg';

/** pg's own record of the query a client sent and has no answer to yet (no public accessor). */
interface ClientInternals {
  _getActiveQuery?: () => unknown;
}

/** True when `client` still waits for the answer to a query it sent. */
function hasQueryInFlight(client: pg.PoolClient): boolean {
  return ((client as unknown as ClientInternals)._getActiveQuery?.() ?? null) !== null;
}

/**
 * A pooled client is given back with a query still in flight only when pg's `query_timeout` gave
 * up on the answer: the connection did not answer in time. Back in the pool, the next query on it
 * would wait behind that answer and time out in its turn; and as the pool hands out the client
 * released last first, on a connection that never answers again (a dropped NAT or firewall entry,
 * a database moved elsewhere: no reset comes, and TCP keep-alive notices after hours) every query
 * of a quiet service would. Such a client is ended as it comes back, so the next query opens a new
 * connection.
 */
export function retireClientsWithQueryInFlight(pool: pg.Pool): void {
  pool.on('release', (err: Error | undefined, client: pg.PoolClient) => {
    // With an error the pool removes the client itself. Ending it here marks it as ending, which
    // the pool checks right after this event: it then removes the client instead of keeping it.
    if (!err && hasQueryInFlight(client)) void (client as unknown as pg.Client).end().catch(() => undefined);
  });
}
