import type { QueryRunner } from 'typeorm';
import type { SqlExecutor } from './event-store.port.js';

/** A `SqlExecutor` over a TypeORM QueryRunner: `query(sql, params)` → the result rows. */
export class QueryRunnerSqlExecutor implements SqlExecutor {
  constructor(private readonly runner: QueryRunner) {}

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const result = await this.runner.query(sql, params, true);
    return (result.records ?? []) as T[];
  }
}

export function sqlExecutor(runner: QueryRunner): SqlExecutor {
  return new QueryRunnerSqlExecutor(runner);
}
