// Fault: Postgres crashes (`pg_ctl stop -m immediate`: every backend killed, crash recovery on the
// next start) in the middle of simulated load, and comes back a few seconds later. The service
// must answer 503 while it is down (never a 2xx it did not commit, never a hang), take pushes again
// once it is back WITHOUT being restarted, and every push it acknowledged must be stored exactly once.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { runSimulation } from '../../apps/push-simulator/src/index.js';
import { createTempDatabase, type TempDatabase } from '../../libs/event-store/src/testing/temp-database.js';
import { checkStore, getJson, PushLedger, eventually, reportFigures, sleep, FAULT_RUN_ANOMALIES, expectStoredExactlyOnce, storeFigures } from '../support/fault-checks.js';
import { startOwnPostgres, type OwnPostgres } from '../support/own-postgres.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';

const CALLS = 250;
const RATE = 150; // tries per second: ~8 s of load
const CRASH_AT_MS = 2_500;
const DOWN_FOR_MS = 2_500;
/** retry delays 0, 100 ms, 600 ms, 6 s, 36 s: the last try ~43 s after the first */
const TIME_SCALE = 0.02;

describe('fault: Postgres crashes and restarts under load', () => {
  let postgres: OwnPostgres;
  let database: TempDatabase;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    postgres = await startOwnPostgres();
    database = await createTempDatabase(postgres.url);
    service = await startServiceProcess({ DATABASE_URL: database.url });
  }, 120_000);

  afterAll(async () => {
    await service?.stop('SIGKILL');
    await database?.dropOrWarn();
    await postgres?.destroy();
  }, 60_000);

  test('503 while it is down, recovery without a service restart, every 2xx stored exactly once', async () => {
    const { url, child } = service!;
    const pid = child.pid;
    const ledger = new PushLedger();
    const simulation = runSimulation({
      url,
      calls: CALLS,
      rate: RATE,
      concurrency: 16,
      timeScale: TIME_SCALE,
      seed: 'faults-postgres-crash',
      anomalies: FAULT_RUN_ANOMALIES,
      drainTimeoutMs: 90_000,
      onTry: ledger.onTry,
    });

    await sleep(CRASH_AT_MS);
    const crashedAt = ledger.now();
    await postgres.crash();
    await sleep(DOWN_FOR_MS);
    const restartingAt = ledger.now();
    await postgres.start();
    const startedAt = ledger.now();
    const ready = await eventually(async () => (await getJson(`${url}/health/ready`)).status === 200, 30_000, 100);
    const readyAt = ledger.now();
    const summary = await simulation;

    // while down: 503s and nothing else but 2xx that started before the crash
    const whileDown = ledger.outcomes(crashedAt + 200, restartingAt);
    const unavailable = ledger.tries.filter((t) => t.outcome.kind === 'response' && t.outcome.status === 503);
    const slowest503 = Math.max(0, ...unavailable.map((t) => t.outcome.latencyMs));
    const unexpected = Object.entries(ledger.outcomes()).filter(([k]) => k !== '200' && k !== '503');
    const check = await checkStore(database.url, ledger.acknowledged);
    reportFigures('postgres crash', {
      ...storeFigures(summary, ledger, check),
      tries: ledger.tries.length,
      answered503: unavailable.length,
      slowest503Ms: Math.round(slowest503),
      whileDown,
      givenUp: summary.givenUp,
      downMs: restartingAt - crashedAt,
      readyAfterStartMs: readyAt - startedAt,
      events: check.events,
      streams: check.streams,
    });

    expect(ready).toBe(true);
    // recovery without a restart: the same process served it all
    expect(child.exitCode).toBeNull();
    expect(child.signalCode).toBeNull();
    expect(child.pid).toBe(pid);
    expect(unavailable.length).toBeGreaterThan(0);
    expect(whileDown['503'] ?? 0).toBeGreaterThan(0);
    // every try answered within the sender's 3 s (the simulator's try timeout, spec §6.4): a 503
    // that came later would be a 'timeout' here, and so unexpected
    expect(unexpected).toEqual([]);
    // the sender's retries brought everything in
    expect(summary.givenUp).toBe(0);
    expect(summary.abandoned).toBe(0);
    expect(ledger.acknowledged.size).toBe(summary.sent);
    expect(ledger.acksBetween(readyAt, Number.POSITIVE_INFINITY)).toBeGreaterThan(0);
    // stored exactly once, nothing half-applied
    expectStoredExactlyOnce(check);
    expect(check.unfinalised).toEqual([]);
    expect(check.staleViews).toEqual([]);
  }, 180_000);
});
