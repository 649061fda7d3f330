import { afterEach, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { useTempDatabase } from '../../../../libs/event-store/src/testing/use-temp-database.js';
import { retireClientsWithQueryInFlight } from './retire-clients-with-query-in-flight.js';

/**
 * A real Postgres. A statement that outlasts pg's `query_timeout` stands for an answer that does
 * not come: the client gives up on it while it is still in flight on the connection.
 */
describe('retireClientsWithQueryInFlight (a pool client given back after its query timed out)', () => {
  const { db } = useTempDatabase([]);
  let pool: pg.Pool | undefined;
  afterEach(async () => {
    await pool?.end();
    pool = undefined;
  });

  /**
   * As TypeORM's query runner uses the pool: borrow, query, give back without an error whatever
   * happened (pool.query would pass the error on, and the pool would drop the client itself).
   */
  const query = async (p: pg.Pool, sql: string): Promise<Record<string, unknown>> => {
    const client = await p.connect();
    try {
      return (await client.query(sql)).rows[0];
    } finally {
      client.release();
    }
  };

  const onePool = (retire: boolean): pg.Pool => {
    pool = new pg.Pool({ connectionString: db().url, max: 1, query_timeout: 1_000 }); // well below pg_sleep(3), well above a busy moment of the test machine
    if (retire) retireClientsWithQueryInFlight(pool);
    return pool;
  };

  test('the client is ended, and the next query gets a new connection that answers', async () => {
    const p = onePool(true);
    const first = (await query(p, 'SELECT pg_backend_pid() AS pid')).pid;
    await expect(query(p, 'SELECT pg_sleep(3)')).rejects.toThrow('Query read timeout');
    const next = (await query(p, 'SELECT pg_backend_pid() AS pid')).pid;
    expect(next).not.toBe(first);
    expect(p.totalCount).toBe(1);
  }, 20_000);

  test('without it, the same client comes back and the next query waits behind the lost answer (what this prevents)', async () => {
    const p = onePool(false);
    await expect(query(p, 'SELECT pg_sleep(3)')).rejects.toThrow('Query read timeout');
    await expect(query(p, 'SELECT 1')).rejects.toThrow('Query read timeout');
  }, 20_000);

  test('a client whose queries all answered stays in the pool', async () => {
    const p = onePool(true);
    const first = (await query(p, 'SELECT pg_backend_pid() AS pid')).pid;
    await query(p, 'SELECT pg_sleep(0.05)');
    const again = (await query(p, 'SELECT pg_backend_pid() AS pid')).pid;
    expect(again).toBe(first);
  }, 20_000);
});
