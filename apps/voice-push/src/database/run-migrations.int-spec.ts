import { describe, expect, test } from '@jest/globals';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { useTempDatabase } from '../../../../libs/event-store/src/testing/use-temp-database.js';
import { appMigrations } from './database.module.js';
import { runMigrations } from './run-migrations.js';

/** Stands for an index built on a production-size table: longer than the service pool's 2 s. */
class SlowMigration1799999999999 implements MigrationInterface {
  readonly name = 'SlowMigration1799999999999';
  async up(q: QueryRunner): Promise<void> {
    await q.query('SELECT pg_sleep(2.5)');
    await q.query('CREATE INDEX calls_slow_migration_probe ON calls (finalized_at)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX calls_slow_migration_probe');
  }
}

describe('runMigrations (start-up, on a connection of its own)', () => {
  const { db, ds } = useTempDatabase([]); // an empty database

  test('runs every pending migration once, a statement longer than the service pool allows included', async () => {
    const migrations = [...appMigrations, SlowMigration1799999999999];
    const ran = await runMigrations(db().url, migrations);
    expect([...ran].sort()).toEqual(migrations.map((m) => new m().name).sort());
    expect(ran.at(-1)).toBe('SlowMigration1799999999999'); // in timestamp order
    const [index] = await ds().query(`SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = 'calls_slow_migration_probe'`);
    expect(index.n).toBe(1);
    // applied migrations are not run again
    expect(await runMigrations(db().url, migrations)).toEqual([]);
  }, 30_000);
});

describe('runMigrations by instances that start together', () => {
  const { db } = useTempDatabase([]);

  test('take turns: each migration runs once, and no instance fails on what another created', async () => {
    const migrations = [...appMigrations, SlowMigration1799999999999];
    const runs = await Promise.allSettled([1, 2, 3].map(() => runMigrations(db().url, migrations)));
    expect(runs.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    const ran = runs.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    expect(ran.sort()).toEqual(migrations.map((m) => new m().name).sort());
  }, 60_000);
});
