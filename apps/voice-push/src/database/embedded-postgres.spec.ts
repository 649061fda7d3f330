import { afterEach, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres.js';

/**
 * A data directory whose lock file names a live process that is not its Postgres (a stale lock
 * file after a crash, its pid reused): the start refuses, saying what to do, and signals nothing.
 */
describe('startEmbeddedPostgres and a lock file naming another process', () => {
  const decoys: ChildProcess[] = [];
  const orphans: number[] = [];
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of decoys.splice(0)) d.kill('SIGKILL');
    for (const pid of orphans.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function dataDirNaming(pid: number): string {
    const dataDir = mkdtempSync(join(tmpdir(), 'voice-push-lock-'));
    dirs.push(dataDir);
    chmodSync(dataDir, 0o755); // as root, Postgres runs as `postgres`, which must reach its directory
    const databaseDir = join(dataDir, 'postgres');
    mkdirSync(databaseDir);
    writeFileSync(join(databaseDir, 'PG_VERSION'), '15\n');
    writeFileSync(join(databaseDir, 'postmaster.pid'), `${pid}\n${databaseDir}\n`);
    return dataDir;
  }

  const silent = pino({ level: 'silent' });
  const alive = (p: ChildProcess) => p.exitCode === null && p.signalCode === null;

  test('a process that is not a Postgres: refused, the lock file named, the process untouched', async () => {
    const decoy = spawn('sleep', ['60'], { stdio: 'ignore' });
    decoys.push(decoy);
    await expect(startEmbeddedPostgres(dataDirNaming(decoy.pid!), 1, silent)).rejects.toThrow(/not a Postgres now .*remove the file/);
    expect(alive(decoy)).toBe(true);
  });

  test('a lock file naming our own pid or our parent\'s (pids come round again after a container restart): stale, not refused as another process', async () => {
    for (const pid of [process.pid, process.ppid]) {
      // past the lock file, the start runs Postgres itself, which refuses this made-up directory
      // for its own reason (it has no postgresql.conf): the error is Postgres' own, not ours
      const dataDir = dataDirNaming(pid);
      let started: EmbeddedDatabase | undefined;
      try {
        const start = startEmbeddedPostgres(dataDir, 1, silent).then((db) => (started = db));
        await expect(start).rejects.toThrow(
          `the embedded Postgres on ${join(dataDir, 'postgres')} (port 1) did not start (exit 2): its last words: ` +
            `postgres: could not access the server configuration file "${join(dataDir, 'postgres', 'postgresql.conf')}": No such file or directory`,
        );
      } finally {
        await started?.stop();
      }
    }
  }, 30_000);

  test("a Postgres-like process (the machine's own, say) running elsewhere with no parent of ours: refused, never signalled", async () => {
    // `postgres` by its command line, re-parented (its shell exits), working in another directory
    const shell = spawn('bash', ['-c', 'cd / && exec -a postgres sleep 60 >/dev/null 2>&1 & echo $!'], { stdio: ['ignore', 'pipe', 'ignore'] });
    // both listened for from the start: the shell may print and exit before either await
    const printed = new Promise<string>((done) => shell.stdout!.once('data', (chunk) => done(String(chunk).trim())));
    const exited = new Promise((done) => shell.once('exit', done));
    const pid = Number(await printed);
    orphans.push(pid);
    await exited;
    const dataDir = dataDirNaming(pid);
    await expect(startEmbeddedPostgres(dataDir, 1, silent)).rejects.toThrow(/may still be running .*kill -INT/);
    await new Promise((done) => setTimeout(done, 100));
    expect(() => process.kill(pid, 0)).not.toThrow(); // still there: never signalled
  });
});
