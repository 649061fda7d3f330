import pg from 'pg';
import { DataSource, type MigrationInterface } from 'typeorm';

type MigrationClass = new () => MigrationInterface;

/**
 * Runs the pending migrations on a connection of its own, with no statement timeout, and closes it.
 *
 * Not on the service's pool: that pool gives up on any statement after 2 s (a push must be
 * answered within the sender's 3 s), while a migration that builds an index on a production-size
 * table takes minutes — it would fail, and the service would not start after an upgrade.
 * Returns the names of the migrations it ran.
 */
export async function runMigrations(databaseUrl: string, migrations: MigrationClass[]): Promise<string[]> {
  const dataSource = new DataSource({
    type: 'postgres',
    // Passed explicitly: TypeORM's own require('pg') fails under jest's ESM loader.
    driver: pg,
    url: databaseUrl,
    migrations,
    migrationsTransactionMode: 'each',
    logging: ['error'],
    extra: { max: 1, connectionTimeoutMillis: 10_000, statement_timeout: 0, application_name: 'voice-push-migrations' },
  });
  await dataSource.initialize();
  try {
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    return ran.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}
