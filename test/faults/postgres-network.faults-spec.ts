// Network faults between the service and Postgres, played by a ChaosProxy (test/support) in front
// of the database: latency, a blackhole (connections accepted, nothing answered, as in a
// partition), and connection resets. The built service runs as a child process whose
// DATABASE_URL points at the proxy; the sender is the simulator with its retry schedule.
//   latency   → slower answers, every 2xx stored;
//   blackhole → 503 before the sender gives up on the try (3 s), no hang; recovery once healed;
//   reset     → 503 for what was in flight, then recovery;
//   open connections silenced for good → each fails one push at most, then new connections serve.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { runSimulation, type SimulationSummary } from '../../apps/push-simulator/src/index.js';
import { createTempDatabase, type TempDatabase } from '../../libs/event-store/src/testing/temp-database.js';
import { ChaosProxy } from '../support/chaos-proxy.js';
import { checkStore, getJson, PushLedger, eventually, postProbePush, reportFigures, sleep, expectStoredExactlyOnce, storeFigures } from '../support/fault-checks.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';

const ANOMALIES = { duplicate: 0.1, reorder: 0.1, cdrFirst: 0.05, lostStatus: 0.05, missingCdr: 0.05, unitMixup: 0.05 };
/**
 * The sender gives up on a try after 3 s (spec §6.4) and retries it on schedule. "No hang" is an
 * outcome, not a speed: a probe sent with the sender's timeout gets its 503, or fails with a
 * TimeoutError. (The service's pool gives up connecting after 2 s, inside that.)
 */
const SENDER_TRY_TIMEOUT_MS = 3_000;

/** One status push of a fresh call, straight over HTTP, timed; the answer or the fetch error. */
async function probe(url: string, timeoutMs: number): Promise<{ status: number | string; ms: number; body: unknown }> {
  const started = Date.now();
  try {
    const response = await postProbePush(url, `probe-${randomUUID()}`, timeoutMs);
    return { status: response.status, ms: Date.now() - started, body: await response.json().catch(() => null) };
  } catch (error) {
    return { status: (error as Error).name, ms: Date.now() - started, body: null };
  }
}

describe('fault: network faults between the service and Postgres (ChaosProxy)', () => {
  let database: TempDatabase;
  let proxy: ChaosProxy;
  let service: ServiceProcess | undefined;
  const simulate = (ledger: PushLedger, seed: string, calls: number, concurrency = 8): Promise<SimulationSummary> =>
    runSimulation({
      url: service!.url,
      calls,
      rate: 100,
      concurrency,
      timeScale: 0.02, // retries after 0, 100 ms, 600 ms, 6 s, 36 s
      seed,
      anomalies: ANOMALIES,
      drainTimeoutMs: 90_000,
      onTry: ledger.onTry,
    });

  beforeAll(async () => {
    database = await createTempDatabase();
    const toPostgres = await ChaosProxy.inFrontOf(database.url);
    proxy = toPostgres.proxy;
    service = await startServiceProcess({ DATABASE_URL: toPostgres.url });
  }, 120_000);

  afterAll(async () => {
    proxy?.heal();
    await service?.stop('SIGKILL');
    await proxy?.stop();
    await database?.dropOrWarn();
  }, 60_000);

  test('latency: answers slower, every 2xx stored exactly once', async () => {
    const baseline = new PushLedger();
    const baselineSummary = await simulate(baseline, 'faults-net-baseline', 30, 16);
    const ledger = new PushLedger();
    proxy.latency(40); // each way, per chunk: a commit's round trips now take ≥ 80 ms each
    let summary: SimulationSummary;
    try {
      summary = await simulate(ledger, 'faults-net-latency', 40, 16);
    } finally {
      proxy.heal();
    }
    const check = await checkStore(database.url, ledger.acknowledged);
    reportFigures('postgres latency 40 ms each way', {
      ...storeFigures(summary, ledger, check),
      outcomes: ledger.outcomes(),
      p50Ms: Math.round(summary.latencyMs.p50),
      baselineP50Ms: Math.round(baselineSummary.latencyMs.p50),
      p99Ms: Math.round(summary.latencyMs.p99),
    });
    // the latency was there (speed itself is the benchmark's to measure, not a test's)
    expect(proxy.delayedChunks).toBeGreaterThan(0);
    expect(Object.keys(ledger.outcomes())).toEqual(['200']);
    expect(ledger.acknowledged.size).toBe(summary.sent);
    expectStoredExactlyOnce(check);
  }, 120_000);

  test('blackhole of new connections (open ones reset): 503 before the sender gives up on the try, recovery once healed', async () => {
    const ledger = new PushLedger();
    const simulation = simulate(ledger, 'faults-net-blackhole', 150);
    await sleep(1_000);
    const holeAt = ledger.now();
    // the partition starts with the open connections gone: every query needs a new connection,
    // whose TCP connect succeeds (the proxy accepts) and whose start-up is never answered
    proxy.blackhole();
    proxy.reset();
    await sleep(300);
    const during = await probe(service!.url, SENDER_TRY_TIMEOUT_MS);
    const readyDuring = await getJson(`${service!.url}/health/ready`, 10_000).catch((e: Error) => ({ status: e.name, body: null }));
    await sleep(Math.max(0, 4_000 - (ledger.now() - holeAt)));
    const healedAt = ledger.now();
    proxy.heal();
    const recovered = await eventually(async () => (await probe(service!.url, 5_000)).status === 200, 30_000, 250);
    const recoveredAt = ledger.now();
    const summary = await simulation;
    const check = await checkStore(database.url, ledger.acknowledged);
    // answers to tries that started in the hole (a try's time is its answer's)
    const inHole = ledger.tries.filter((t) => t.at - t.outcome.latencyMs >= holeAt + 100 && t.at <= healedAt);
    const slowestInHole = Math.max(0, ...inHole.map((t) => t.outcome.latencyMs));
    // the simulator's tries time out after SENDER_TRY_TIMEOUT_MS (its default, spec §6.4)
    const timedOutInHole = inHole.filter((t) => t.outcome.kind === 'timeout');
    reportFigures('postgres blackhole (new connections) 4 s', {
      ...storeFigures(summary, ledger, check),
      outcomesInHole: ledger.outcomes(holeAt, healedAt),
      startedInHole: inHole.length,
      outcomes: ledger.outcomes(),
      slowestAnswerInHoleMs: Math.round(slowestInHole),
      probe: `${during.status} in ${during.ms} ms`,
      readyDuring: readyDuring.status,
      recoveredAfterHealMs: recoveredAt - healedAt,
      givenUp: summary.givenUp,
    });
    expect(during.status).toBe(503); // answered before the sender's try timed out
    expect(readyDuring.status).toBe(503);
    expect(timedOutInHole).toEqual([]);
    // nor a try already waiting when the hole opened: one failed attempt fails the appends queued
    // behind it instead of making them wait for an attempt of their own
    expect(ledger.outcomes(holeAt, healedAt)).not.toHaveProperty('timeout');
    expect(inHole.length).toBeGreaterThan(0);
    expect(recovered).toBe(true);
    expect(summary.givenUp).toBe(0);
    expect(ledger.acknowledged.size).toBe(summary.sent);
    expectStoredExactlyOnce(check);
  }, 180_000);

  test('blackhole of the open connections too (a partition): a push is answered 503 in time, no hang', async () => {
    // warm the pool: open connections that the partition then silences
    for (let i = 0; i < 5; i++) expect((await probe(service!.url, 5_000)).status).toBe(200);
    proxy.blackhole();
    const during = await probe(service!.url, SENDER_TRY_TIMEOUT_MS);
    proxy.heal();
    const after = await probe(service!.url, 10_000);
    reportFigures('postgres partition (open connections silenced)', {
      sent: 1,
      acknowledged: during.status === 200 ? 1 : 0,
      lost: 0,
      duplicated: 0,
      probe: `${during.status} in ${during.ms} ms`,
      afterHeal: `${after.status} in ${after.ms} ms`,
    });
    // a 503 before the sender's 3 s try timeout (spec §6.4) makes it retry on schedule
    expect(during.status).toBe(503);
    expect(after.status).toBe(200);
  }, 60_000);

  test('open connections that never answer again (a dropped NAT entry, a failover): each costs one 503 at most, then new ones serve', async () => {
    for (let i = 0; i < 5; i++) expect((await probe(service!.url, 5_000)).status).toBe(200);
    const silenced = proxy.openConnections;
    proxy.silenceOpen();
    // One push after another: the pool hands out the connection released last first, so a silent
    // one put back after its query timed out would be the next push's too, every time.
    const answers: { status: number | string; ms: number }[] = [];
    while (answers.length < silenced + 5 && answers.at(-1)?.status !== 200) {
      answers.push(await probe(service!.url, SENDER_TRY_TIMEOUT_MS));
    }
    const after = [];
    for (let i = 0; i < 5; i++) after.push((await probe(service!.url, SENDER_TRY_TIMEOUT_MS)).status);
    reportFigures('postgres open connections silenced for good', {
      sent: answers.length + after.length,
      acknowledged: [...answers.map((a) => a.status), ...after].filter((s) => s === 200).length,
      lost: 0,
      duplicated: 0,
      silencedConnections: silenced,
      answers: answers.map((a) => `${a.status} in ${a.ms} ms`).join(', '),
      after: after.join(', '),
    });
    expect(silenced).toBeGreaterThan(0);
    // each silent connection fails at most the one push that found it, in time (503, not a timeout)
    expect(answers.slice(0, -1).map((a) => a.status)).toEqual(answers.slice(0, -1).map(() => 503));
    expect(answers.length - 1).toBeLessThanOrEqual(silenced);
    expect(answers.at(-1)?.status).toBe(200);
    expect(after).toEqual([200, 200, 200, 200, 200]);
  }, 120_000);

  test('reset: what was in flight answers 503, then recovery; every 2xx stored exactly once', async () => {
    // deterministic: a push in flight (slow link) when every connection is reset
    proxy.latency(400);
    let settled = false;
    const inFlight = probe(service!.url, 15_000).finally(() => (settled = true));
    // every 200 ms until it answers: each of its queries is on the link ≥ 800 ms, so a reset finds
    // one in flight however long the service took to send the first
    for (let i = 0; i < 75 && !settled; i++) {
      await sleep(200);
      proxy.reset();
    }
    const first = await inFlight;
    proxy.heal();
    // and under load: resets every 400 ms for 2 s
    const ledger = new PushLedger();
    const simulation = simulate(ledger, 'faults-net-reset', 150);
    await sleep(800);
    const from = ledger.now();
    for (let i = 0; i < 5; i++) {
      proxy.reset();
      await sleep(400);
    }
    const to = ledger.now();
    const summary = await simulation;
    const after = await probe(service!.url, 5_000);
    const check = await checkStore(database.url, ledger.acknowledged);
    const unexpected = Object.keys(ledger.outcomes()).filter((k) => k !== '200' && k !== '503');
    reportFigures('postgres connection resets', {
      ...storeFigures(summary, ledger, check),
      inFlightProbe: `${first.status} in ${first.ms} ms`,
      outcomesDuringResets: ledger.outcomes(from, to),
      outcomes: ledger.outcomes(),
      afterProbe: after.status,
      givenUp: summary.givenUp,
    });
    expect(first.status).toBe(503);
    expect(after.status).toBe(200);
    expect(unexpected).toEqual([]);
    expect(summary.givenUp).toBe(0);
    expect(ledger.acknowledged.size).toBe(summary.sent);
    expectStoredExactlyOnce(check);
  }, 180_000);
});
