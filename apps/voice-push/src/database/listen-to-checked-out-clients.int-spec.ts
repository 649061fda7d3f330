import { afterEach, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { useTempDatabase } from '../../../../libs/event-store/src/testing/use-temp-database.js';
import { pollUntil } from '../../../../test/support/poll.js';
import { listenToCheckedOutClients } from './listen-to-checked-out-clients.js';

/** A real Postgres whose backend is ended under a client the pool has handed out and that runs no query. */
describe('listenToCheckedOutClients (a connection lost while checked out and idle)', () => {
  const { db } = useTempDatabase([]);
  let pool: pg.Pool | undefined;
  afterEach(async () => {
    await pool?.end();
    pool = undefined;
  });

  async function endBackendOf(client: pg.PoolClient): Promise<void> {
    const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    const other = new pg.Client({ connectionString: db().url });
    await other.connect();
    try {
      await other.query('SELECT pg_terminate_backend($1)', [pid]);
    } finally {
      await other.end();
    }
  }

  test('the loss is logged, not thrown, and the client is dropped when given back', async () => {
    pool = new pg.Pool({ connectionString: db().url, max: 1 });
    pool.on('error', () => undefined); // idle clients: the pool's own listener (TypeORM logs it)
    const warnings: string[] = [];
    listenToCheckedOutClients(pool, (line) => warnings.push(line));

    const client = await pool.connect(); // as a transaction holds it while it publishes to Kafka
    await endBackendOf(client);
    await pollUntil(async () => warnings.length, (n) => n > 0);
    // the server's FATAL message, then (as the socket ends) pg's own "Connection terminated unexpectedly"
    expect(warnings[0]).toContain('terminating connection due to administrator command');
    expect(warnings.every((w) => w.startsWith('a Postgres connection in use was lost'))).toBe(true);
    await expect(client.query('SELECT 1')).rejects.toThrow();
    client.release();

    const again = await pool.connect(); // a new connection answers
    expect((await again.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    again.release();
  }, 20_000);

  test('a client idle in the pool is left to the pool\'s listener (logged once, by it)', async () => {
    pool = new pg.Pool({ connectionString: db().url, max: 1 });
    const poolErrors: Error[] = [];
    pool.on('error', (error) => poolErrors.push(error));
    const warnings: string[] = [];
    listenToCheckedOutClients(pool, (line) => warnings.push(line));

    const client = await pool.connect();
    const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    client.release();
    const other = new pg.Client({ connectionString: db().url });
    await other.connect();
    await other.query('SELECT pg_terminate_backend($1)', [pid]);
    await other.end();
    await pollUntil(async () => poolErrors.length, (n) => n > 0);
    expect(poolErrors).toHaveLength(1);
    expect(warnings).toEqual([]);
  }, 20_000);
});
