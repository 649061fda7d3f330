// A throwaway Postgres database per test file: created on a real server, dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { eventStoreMigrations } from '../migrations/index.js';

export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** migration classes (or glob strings), as a DataSource's `migrations` option takes them */
export type MigrationList = NonNullable<DataSourceOptions['migrations']>;

export interface TempDatabaseSourceOptions {
  /** pool size of the DataSource (pg's default is 10) */
  poolSize?: number;
  /** anything else for the DataSource (entities, logging …) */
  options?: Partial<Omit<DataSourceOptions, 'type'>>;
  /** false: run no migration (a second DataSource on a database another one migrated) */
  migrate?: boolean;
}

export interface TempDatabase {
  /** connection URL of the new database */
  url: string;
  /** name of the new database */
  name: string;
  /** An initialised DataSource on the database, with the given migrations run (default: the event store's). */
  dataSource(migrations?: MigrationList, opts?: TempDatabaseSourceOptions): Promise<DataSource>;
  /** Destroys the DataSources handed out and drops the database (terminating leftover sessions). */
  drop(): Promise<void>;
  /**
   * drop(), for an afterAll whose test may have broken the server on purpose (a fault test): a
   * failure is said, not thrown, so it does not hide the test's own result.
   */
  dropOrWarn(): Promise<void>;
}

async function withAdminClient<T>(baseUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createTempDatabase(
  baseUrl: string = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL,
): Promise<TempDatabase> {
  const name = `vp_test_${Date.now().toString(36)}_${randomBytes(6).toString('hex')}`;
  await withAdminClient(baseUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const sources: DataSource[] = [];
  const drop = async () => {
    for (const ds of sources.splice(0)) {
      if (ds.isInitialized) await ds.destroy().catch(() => undefined);
    }
    await withAdminClient(baseUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  };

  return {
    url: url.toString(),
    name,
    async dataSource(migrations = eventStoreMigrations, opts = {}) {
      const ds = new DataSource({
        ...(opts.options ?? {}),
        type: 'postgres',
        driver: pg,
        url: url.toString(),
        migrations,
        migrationsRun: false,
        synchronize: false,
        logging: false,
        ...(opts.poolSize ? { poolSize: opts.poolSize } : {}),
      } as DataSourceOptions);
      await ds.initialize();
      sources.push(ds);
      if (opts.migrate !== false) await ds.runMigrations({ transaction: 'all' });
      return ds;
    },
    drop,
    async dropOrWarn() {
      await drop().catch((error: Error) => console.warn(`test database ${name} not dropped: ${error.message}`));
    },
  };
}
