import { afterEach, describe, expect, test } from '@jest/globals';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres.js';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

/**
 * The data directory already exists and is empty (a volume's mount point, which cannot be
 * renamed): the cluster is made in place. A first start killed during that initdb left PG_VERSION
 * and part of a cluster behind, which every later start took for a whole one.
 */
describe('startEmbeddedPostgres on an existing, empty data directory (a mount point)', () => {
  const dirs: string[] = [];
  let running: EmbeddedDatabase | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  test('a first start killed during its initdb (a marker beside a half-made cluster): the next start makes the cluster again and serves', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'voice-push-inplace-'));
    dirs.push(dataDir);
    chmodSync(dataDir, 0o755); // as root, Postgres runs as `postgres`, which must reach its directory
    const databaseDir = join(dataDir, 'postgres');
    // what initdb has written when it is killed early: PG_VERSION and a few directories
    mkdirSync(join(databaseDir, 'base', '1'), { recursive: true });
    mkdirSync(join(databaseDir, 'global'));
    writeFileSync(join(databaseDir, 'PG_VERSION'), '18\n');
    writeFileSync(`${databaseDir}.initdb-in-place`, 'initdb in progress\n');

    running = await startEmbeddedPostgres(dataDir, await freePort(), pino({ level: 'silent' }));
    const client = new pg.Client({ connectionString: running.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
      expect(rows).toEqual([{ db: 'voice_push' }]);
    } finally {
      await client.end();
    }
    expect(existsSync(`${databaseDir}.initdb-in-place`)).toBe(false); // whole now: a later start keeps it
    expect(existsSync(join(databaseDir, 'PG_VERSION'))).toBe(true);
  }, 180_000);
});
