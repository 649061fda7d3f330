import type pg from 'pg';

/**
 * pg reports a lost connection (its server gone: a crash, a restart, an admin's
 * `pg_terminate_backend`) as an `error` event on the client, and an event nobody listens to is
 * thrown: it kills the process. Who listens changes as the client moves: the pool while it idles
 * there, TypeORM's query runner while one holds it, nobody in between. In CI (2026-11-28) an
 * embedded Postgres killed just after the start still raised such an event on a client with no
 * listener, and the service died — which path left it bare was not pinned down. So every client
 * the pool hands out keeps one listener from then on: a loss while it is checked out is logged
 * (while it idles in the pool, the pool's own listener reports it), and the client's next query
 * fails with it, as any query on a lost connection does.
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
