import type { QueryRunner } from 'typeorm';

/** pg's client-side `query_timeout` fired: the connection may still have the query outstanding. */
export function isReadTimeout(err: unknown): boolean {
  const cause = (err as { driverError?: unknown })?.driverError ?? err;
  return cause instanceof Error && cause.message === 'Query read timeout';
}

/**
 * Hands a connection back to the pool to be destroyed, not reused: after a read timeout its query
 * may still be running (or Postgres may be unreachable), and whoever got it next would wait behind it.
 */
export async function releaseBroken(runner: QueryRunner, err: unknown): Promise<void> {
  // TypeORM's Postgres runner passes the error on to pg-pool, which then ends the client.
  const pgRunner = runner as QueryRunner & { releasePostgresConnection?: (e: unknown) => Promise<void> };
  await (pgRunner.releasePostgresConnection?.(err) ?? runner.release());
}
