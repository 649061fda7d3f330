import { afterAll, afterEach, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { eventually } from '../support/fault-checks.js';
import { assertServiceBuilt, freePort, SERVICE_MAIN, startServiceProcess, type ServiceProcess } from '../support/service-process.js';

const SAMPLES = resolve(process.cwd(), '../shared/spec/samples');
const body = (name: string) => readFileSync(resolve(SAMPLES, name), 'utf8');
const CALL_ID = 'NM20010115474511150001012500007a8c';

async function push(url: string, path: string, raw: string) {
  const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** An embedded Postgres a killed service left running on `dataDir`: stopped (immediate shutdown); its pid, or null. */
function stopLeftoverPostgres(dataDir: string): number | null {
  const pidFile = join(dataDir, 'postgres', 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!(pid > 0)) return null; // a pid of 0 would signal this whole process group
  try {
    process.kill(pid, 'SIGQUIT');
    return pid;
  } catch {
    return null; // already gone
  }
}

/**
 * Waits for the service to log `line`; the failure says what the service wrote and whether the
 * Postgres it was about is still there (a kill -9 waits for an uninterruptible I/O to end).
 */
async function awaitLogLine(service: ServiceProcess, line: string, timeoutMs: number, postmaster: number): Promise<void> {
  if (await eventually(() => service.output().includes(line), timeoutMs, 200)) return;
  let state = 'gone';
  try {
    state = readFileSync(`/proc/${postmaster}/stat`, 'utf8').split(' ')[2]!;
  } catch {
    // reaped
  }
  throw new Error(`no "${line}" within ${timeoutMs} ms (the killed postmaster ${postmaster}: ${state}); the service wrote:\n${service.output()}`);
}

/**
 * A temporary DATA_DIR for one describe block, open to the user the embedded Postgres runs as
 * (`owner` gets it; else mode 0755 for the `postgres` user as root), and after the block:
 * `stopFirst` (the block's own processes), then any Postgres left running on it, then the
 * directory itself.
 */
function useDataDir(prefix: string, stopFirst: () => unknown, owner?: { uid: number; gid: number }): string {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  if (owner) chownSync(dataDir, owner.uid, owner.gid);
  else chmodSync(dataDir, 0o755);
  afterAll(async () => {
    await stopFirst();
    stopLeftoverPostgres(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  });
  return dataDir;
}

/** What the README promises: with DATABASE_URL unset, the service runs on an embedded Postgres. */
describe('npm start without DATABASE_URL', () => {
  let service: ServiceProcess | undefined;
  // a test that failed half way: its service killed, the embedded Postgres it started stopped too
  const dataDir = useDataDir('voice-push-embedded-', () => service?.stop('SIGKILL'));

  test('serves the spec examples on the embedded Postgres, and they are still there after a restart', async () => {
    const env = { DATABASE_URL: '', DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(await freePort()) };
    service = await startServiceProcess(env, 120_000);
    expect(await push(service.url, '/v1/push/status', body('status-spec-example.json'))).toEqual({
      status: 200,
      body: { accepted: true, duplicate: false, callId: CALL_ID },
    });
    expect((await push(service.url, '/v1/push/cdr', body('cdr-spec-example.json'))).status).toBe(200);
    expect(await service.stop()).toBe(0);

    service = await startServiceProcess(env, 120_000);
    const view = (await (await fetch(`${service.url}/v1/calls/${CALL_ID}`)).json()) as Record<string, unknown>;
    expect(view).toMatchObject({ callId: CALL_ID, status: 'FINALIZED', outcome: { callResult: 1, durationSeconds: 20 } });
    expect((await push(service.url, '/v1/push/status', body('status-spec-example.json'))).body.duplicate).toBe(true);
    expect(await service.stop()).toBe(0);
    service = undefined;
  }, 240_000);

  test('after the service is killed -9, its Postgres left running is stopped by the next start, which serves the data', async () => {
    const env = { DATABASE_URL: '', DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(await freePort()) };
    service = await startServiceProcess(env, 120_000);
    expect((await push(service.url, '/v1/push/status', body('status-spec-example.json'))).status).toBe(200);
    await service.stop('SIGKILL');
    const lockFile = join(dataDir, 'postgres', 'postmaster.pid');
    const left = Number(readFileSync(lockFile, 'utf8').split('\n')[0]);
    expect(() => process.kill(left, 0)).not.toThrow(); // the orphan this test is about

    service = await startServiceProcess({ ...env, LOG_LEVEL: 'info' }, 120_000);
    expect(service.output()).toContain('left running by a service that was killed');
    expect(() => process.kill(left, 0)).toThrow(); // that one stopped; a new one serves
    const view = (await (await fetch(`${service.url}/v1/calls/${CALL_ID}`)).json()) as Record<string, unknown>;
    expect(view).toMatchObject({ callId: CALL_ID });
    expect(await service.stop()).toBe(0);
    service = undefined;
    expect(existsSync(lockFile)).toBe(false);
  }, 240_000);
});

/** The embedded Postgres is the service's own: when it dies, nothing but the service can start it. */
describe('an embedded Postgres that dies under the running service', () => {
  let service: ServiceProcess | undefined;
  const dataDir = useDataDir('voice-push-embedded-dies-', () => service?.stop('SIGKILL'));
  // a test that failed half way leaves its service, and the Postgres it started, running on the
  // same DATA_DIR as the next one
  afterEach(async () => {
    if (service === undefined) return;
    await service.stop('SIGKILL');
    service = undefined;
    const left = stopLeftoverPostgres(dataDir);
    if (left !== null) await eventually(() => !isAlive(left), 30_000);
  });

  test('is started again by the service, which then serves what was committed and takes pushes again', async () => {
    const env = { DATABASE_URL: '', DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(await freePort()), LOG_LEVEL: 'info' };
    service = await startServiceProcess(env, 120_000);
    expect((await push(service.url, '/v1/push/status', body('status-spec-example.json'))).status).toBe(200);
    const lockFile = join(dataDir, 'postgres', 'postmaster.pid');
    const killed = Number(readFileSync(lockFile, 'utf8').split('\n')[0]);
    process.kill(killed, 'SIGKILL'); // the OOM killer's way

    // Not a push first: the killed postmaster's backends may still commit one before they notice
    // (the WAL is on disk, so it is kept), and that 200 would prove nothing about the restart.
    await awaitLogLine(service, 'the embedded Postgres is running again', 90_000, killed);
    const answered = await eventually(async () => (await push(service!.url, '/v1/push/cdr', body('cdr-spec-example.json'))).status === 200, 30_000, 500);
    expect(answered).toBe(true);
    expect(Number(readFileSync(lockFile, 'utf8').split('\n')[0])).not.toBe(killed);
    const view = (await (await fetch(`${service.url}/v1/calls/${CALL_ID}`)).json()) as Record<string, unknown>;
    expect(view).toMatchObject({ callId: CALL_ID, status: 'FINALIZED' });
    expect(await service.stop()).toBe(0);
    service = undefined;
    expect(existsSync(lockFile)).toBe(false); // the new one stopped with the service
  }, 300_000);

  test('a stop while it is down ends the service cleanly (exit 0), leaving no Postgres behind', async () => {
    const env = { DATABASE_URL: '', DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(await freePort()), LOG_LEVEL: 'info' };
    service = await startServiceProcess(env, 120_000);
    const lockFile = join(dataDir, 'postgres', 'postmaster.pid');
    const killed = Number(readFileSync(lockFile, 'utf8').split('\n')[0]);
    process.kill(killed, 'SIGKILL');
    await awaitLogLine(service, 'starting it again', 60_000, killed);

    const exitCode = await service.stop();
    service = undefined;
    expect(exitCode).toBe(0);
    // a stale lock file may stay (the killed one's): no Postgres runs on it, a new one least of all
    const named = existsSync(lockFile) ? Number(readFileSync(lockFile, 'utf8').split('\n')[0]) : 0;
    expect(named > 0 && isAlive(named)).toBe(false);
  }, 240_000);
});

/**
 * A developer's machine: not root. The package would make a `postgres` user (groupadd, root only)
 * when asked to, and the start failed there. Run as `nobody` when the tests run as root.
 */
describe('npm start without DATABASE_URL, by a user who is not root', () => {
  const nobody = { uid: 65_534, gid: 65_534 };
  const asRoot = process.getuid?.() === 0;
  let service: ServiceProcess | undefined;
  const dataDir = useDataDir('voice-push-embedded-user-', () => service?.stop('SIGKILL'), asRoot ? nobody : undefined);

  test('makes its embedded Postgres as that user and serves', async () => {
    const env = { DATABASE_URL: '', DATA_DIR: join(dataDir, 'data'), EMBEDDED_POSTGRES_PORT: String(await freePort()) };
    service = await startServiceProcess(env, 120_000, asRoot ? nobody : {});
    expect(await push(service.url, '/v1/push/status', body('status-spec-example.json'))).toEqual({
      status: 200,
      body: { accepted: true, duplicate: false, callId: CALL_ID },
    });
    expect(await service.stop()).toBe(0);
    service = undefined;
  }, 240_000);
});

describe('a Ctrl-C to the service on an embedded Postgres', () => {
  let child: ReturnType<typeof spawn> | undefined;
  let restarted: ServiceProcess | undefined;
  const dataDir = useDataDir('voice-push-embedded-ctrlc-', async () => {
    if (child && child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    await restarted?.stop('SIGKILL');
  });

  test('reaches the whole process group, as a terminal sends it: the drain still finds its Postgres, and the counts are kept', async () => {
    assertServiceBuilt();
    const port = await freePort();
    const adminToken = 'embedded-ctrl-c-admin-token';
    const env = { DATABASE_URL: '', DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(await freePort()), ADMIN_TOKEN: adminToken, ADMIN_PORT: '' };
    // a process group of its own, as `npm start` in a terminal has
    child = spawn(process.execPath, [SERVICE_MAIN], {
      env: { ...process.env, ...env, NODE_OPTIONS: '', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += String(chunk)));
    child.stderr!.on('data', (chunk) => (output += String(chunk)));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child!.once('close', (code, signal) => done({ code, signal })));
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 600 && !output.includes('voice-push is listening'); i++) await new Promise((r) => setTimeout(r, 100));
    // pushes whose counts are still in memory when the stop comes (they are kept every 5 s): a
    // duplicate is counted only there
    expect((await push(url, '/v1/push/status', body('status-spec-example.json'))).status).toBe(200);
    expect((await push(url, '/v1/push/status', body('status-spec-example.json'))).body.duplicate).toBe(true);
    expect((await push(url, '/v1/push/cdr', body('cdr-spec-example.json'))).status).toBe(200);

    process.kill(-child.pid!, 'SIGINT'); // the terminal's Ctrl-C: every process of the group
    expect(await exit).toEqual({ code: 0, signal: null });
    expect(output).toContain('stopped cleanly');
    expect(output).not.toMatch(/not flushed|terminating connection/);
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false); // stopped by the service

    // started again on the same data: the duplicate's count was written by the drain
    restarted = await startServiceProcess(env, 120_000);
    const stats = (await (await fetch(`${restarted.url}/admin/stats`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as {
      pushes: { accepted: number; duplicate: number };
    };
    expect(stats.pushes).toMatchObject({ accepted: 2, duplicate: 1 });
    expect(await restarted.stop()).toBe(0);
    restarted = undefined;
  }, 240_000);
});

describe('a stop asked for while the service starts on an embedded Postgres', () => {
  let child: ReturnType<typeof spawn> | undefined;
  // without the fix the Postgres outlives the service: the helper stops it, so nothing is left running
  const dataDir = useDataDir('voice-push-embedded-stop-', () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const pidFile = join(dataDir, 'postgres', 'postmaster.pid');

  test('SIGTERM before the service listens: it finishes starting, then stops, its Postgres with it (exit 0)', async () => {
    assertServiceBuilt();
    const env = { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'info', HOST: '127.0.0.1', DATABASE_URL: '', DATA_DIR: dataDir };
    child = spawn(process.execPath, [SERVICE_MAIN], {
      env: { ...env, PORT: String(await freePort()), EMBEDDED_POSTGRES_PORT: String(await freePort()) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let signalledBeforeListening: boolean | undefined;
    const onOutput = (chunk: Buffer) => {
      output += String(chunk);
      if (signalledBeforeListening === undefined && output.includes('embedded Postgres is up')) {
        signalledBeforeListening = !output.includes('voice-push is listening');
        child!.kill('SIGTERM');
      }
    };
    child.stdout!.on('data', onOutput);
    child.stderr!.on('data', onOutput);
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child!.once('close', (code, signal) => done({ code, signal })),
    );

    expect(signalledBeforeListening).toBe(true); // the signal came during the start, as meant
    expect(exit).toEqual({ code: 0, signal: null });
    expect(output).toContain('stop requested during the start');
    expect(existsSync(pidFile)).toBe(false); // its Postgres stopped with it
  }, 240_000);
});
