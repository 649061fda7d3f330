import type pg from 'pg';

/**
 * pg reports a connection's failure (its server gone: a crash, a restart, an admin's
 * `pg_terminate_backend`) as an `error` event on the client when no query of it waits for an
 * answer. The pool listens while the client idles in it, and stops when it hands the client out;
 * TypeORM adds no listener. A client checked out and between two statements — the relay's
 * transaction while it publishes to Kafka, for up to 18 s — then had no listener, and a dying
 * Postgres became an unhandled `error` event that killed the service (seen in CI: the embedded
 * Postgres killed right after the start). Each client handed out gets one listener: the failure is
 * logged, and the client's next query fails with it, as any query on a lost connection does.
 */
export function listenToCheckedOutClients(pool: pg.Pool, warn: (line: string) => void): void {
  const listened = new WeakSet<pg.PoolClient>();
  const checkedOut = new WeakSet<pg.PoolClient>();
  pool.on('acquire', (client: pg.PoolClient) => {
    checkedOut.add(client);
    if (listened.has(client)) return;
    listened.add(client);
    client.on('error', (error: Error) => {
      // idle in the pool, the pool's own listener reports it (TypeORM logs the pool's errors)
      if (checkedOut.has(client)) warn(`a Postgres connection in use was lost: ${error.message}`);
    });
  });
  pool.on('release', (_error: Error | undefined, client: pg.PoolClient) => {
    checkedOut.delete(client);
  });
}
