import pg from 'pg';
import { Logger } from '@nestjs/common';
import { DataSource, type MigrationInterface } from 'typeorm';
import { TypeOrmLog } from './typeorm-log.js';

type MigrationClass = new () => MigrationInterface;

/** the advisory lock key of the migrations: any fixed number every instance agrees on */
const MIGRATIONS_LOCK = 7_640_001;

/**
 * Runs the pending migrations on a connection of its own, with no statement timeout, and closes it.
 *
 * Not on the service's pool: that pool gives up on any statement after 2 s (a push must be
 * answered within the sender's 3 s), while a migration that builds an index on a production-size
 * table takes minutes — it would fail, and the service would not start after an upgrade.
 * Returns the names of the migrations it ran.
 *
 * Instances that start together (a deploy) take turns under a session advisory lock: otherwise
 * each sees the same migrations pending, runs them at once, and all but one fail on what the
 * first created — a crash loop for as long as a slow migration runs. The one connection (max 1)
 * holds the lock for the whole run; closing it releases the lock even after a failure.
 */
export async function runMigrations(databaseUrl: string, migrations: MigrationClass[]): Promise<string[]> {
  const dataSource = new DataSource({
    type: 'postgres',
    // Passed explicitly: TypeORM's own require('pg') fails under jest's ESM loader.
    driver: pg,
    url: databaseUrl,
    migrations,
    migrationsTransactionMode: 'each',
    logging: ['error', 'warn', 'migration'],
    logger: new TypeOrmLog('Migrations'),
    extra: { max: 1, connectionTimeoutMillis: 10_000, statement_timeout: 0, application_name: 'voice-push-migrations' },
  });
  await dataSource.initialize();
  try {
    const [{ locked }] = (await dataSource.query('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATIONS_LOCK])) as [{ locked: boolean }];
    if (!locked) {
      // an instance waiting here must not look hung
      new Logger('Migrations').log('another instance is running the migrations: waiting for it');
      await dataSource.query('SELECT pg_advisory_lock($1)', [MIGRATIONS_LOCK]);
    }
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    return ran.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}
