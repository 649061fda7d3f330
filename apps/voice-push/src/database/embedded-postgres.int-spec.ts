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

/** Served: the URL the start returned reaches our database, which answers a query. */
async function expectServes(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ db: string; one: number }>('SELECT current_database() AS db, 1 AS one');
    expect(rows).toEqual([{ db: 'voice_push', one: 1 }]);
  } finally {
    await client.end();
  }
}

/**
 * The data directory already exists and is empty (a volume's mount point, which cannot be
 * renamed): the cluster is made in place. A first start killed during that initdb left PG_VERSION
 * and part of a cluster behind, which every later start took for a whole one. Told apart from a
 * cluster with data by what initdb never writes: postmaster.opts, and a database of ours.
 */
describe('startEmbeddedPostgres on an existing, empty data directory (a mount point)', () => {
  const dirs: string[] = [];
  let running: EmbeddedDatabase | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** `dataDir/postgres` as a killed initdb left it: PG_VERSION, a few directories, the databases given */
  function halfMade(databases: string[]): string {
    const dataDir = mkdtempSync(join(tmpdir(), 'voice-push-inplace-'));
    dirs.push(dataDir);
    chmodSync(dataDir, 0o755); // as root, Postgres runs as `postgres`, which must reach its directory
    const databaseDir = join(dataDir, 'postgres');
    for (const oid of databases) mkdirSync(join(databaseDir, 'base', oid), { recursive: true });
    mkdirSync(join(databaseDir, 'global'), { recursive: true });
    writeFileSync(join(databaseDir, 'PG_VERSION'), '18\n');
    return dataDir;
  }

  test.each([
    ['between its steps', undefined],
    // initdb's bootstrap and single-user steps hold a lock file with a negative pid; killed outright, it stays
    ['during a step (its standalone backend\'s lock file left behind)', '-99999'],
  ])('a first start killed during its initdb, %s: the next start makes the cluster again and serves', async (_when, lockPid) => {
    const dataDir = halfMade(['1']);
    const databaseDir = join(dataDir, 'postgres');
    if (lockPid) writeFileSync(join(databaseDir, 'postmaster.pid'), `${lockPid}\n${databaseDir}\n`);

    running = await startEmbeddedPostgres(dataDir, await freePort(), pino({ level: 'silent' }));
    await expectServes(running.url);
    expect(existsSync(join(databaseDir, 'postmaster.opts'))).toBe(true); // started: a later start keeps it
  }, 180_000);

  test('a directory that was never started but holds a database beyond initdb\'s (a restored backup, say) is never cleared', async () => {
    const dataDir = halfMade(['1', '4', '5', '16384']);
    // Postgres refuses this made-up directory for its own reasons; what matters is that it is still there
    await expect(startEmbeddedPostgres(dataDir, await freePort(), pino({ level: 'silent' }))).rejects.toThrow();
    expect(existsSync(join(dataDir, 'postgres', 'base', '16384'))).toBe(true);
    expect(existsSync(join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
  }, 60_000);
});

/**
 * As root, Postgres runs as the `postgres` user, which must enter every directory on the way to
 * its data: a DATA_DIR under /root (0700) failed with initdb's bare "Permission denied".
 */
describe('startEmbeddedPostgres with DATA_DIR inside a directory closed to other users (such as /root)', () => {
  const closed = mkdtempSync(join(tmpdir(), 'voice-push-closed-')); // 0700, the tests' own user's
  let running: EmbeddedDatabase | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    rmSync(closed, { recursive: true, force: true });
  });

  test('as root: refused, naming that directory and what to do; as anyone else: their own directory, served', async () => {
    // kept for afterEach to stop whichever branch runs, should a start that must be refused succeed
    const start = startEmbeddedPostgres(join(closed, 'data'), await freePort(), pino({ level: 'silent' })).then((db) => (running = db));
    if (process.getuid?.() === 0) {
      await expect(start).rejects.toThrow(new RegExp(`postgres user, which cannot enter ${closed} .*its data lies: set DATA_DIR`));
    } else {
      await expectServes((await start).url);
    }
  }, 120_000);
});
