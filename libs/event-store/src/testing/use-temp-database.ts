import { afterAll, beforeAll } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { createTempDatabase, type MigrationList, type TempDatabase, type TempDatabaseSourceOptions } from './temp-database.js';

export interface SuiteDatabase {
  /** the database (created before the suite's tests) */
  db(): TempDatabase;
  /** a DataSource on it with the migrations run */
  ds(): DataSource;
}

/** For a describe block: a throwaway database with `migrations` run before its tests, dropped after them. */
export function useTempDatabase(migrations?: MigrationList, options?: TempDatabaseSourceOptions): SuiteDatabase {
  let db: TempDatabase | undefined;
  let ds: DataSource | undefined;
  beforeAll(async () => {
    db = await createTempDatabase();
    ds = await db.dataSource(migrations, options);
  });
  afterAll(async () => {
    await db?.drop();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useTempDatabase: read inside a test or a hook, after beforeAll');
    return value;
  };
  return { db: () => ready(db), ds: () => ready(ds) };
}
