import { afterEach, describe, expect, test } from '@jest/globals';
import { deliverWithRetries, MAX_TRIES, RETRY_DELAYS_MS, scaledRetryDelays } from './retry-schedule.js';
import { runSimulation } from './simulation.js';
import { fakeSleep, startTestReceiver, type Answer, type ReceivedRequest, type TestReceiver } from './testing/test-receiver.js';
import type { TryOutcome } from './try-outcome.js';

const ok: TryOutcome = { kind: 'response', status: 200, latencyMs: 1, duplicate: false };
const fail: TryOutcome = { kind: 'response', status: 503, latencyMs: 1, duplicate: false };

let receiver: TestReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

/** one answered call (4 statuses + CDR), no anomalies */
const oneCall = { calls: 1, concurrency: 1, seed: 7, mix: { answered: 1, unanswered: 0, privacy: 0, sms: 0 } } as const;
const failFirst = (n: number, status = 500) => (req: ReceivedRequest): Answer => (req.attempt <= n ? { status } : { status: 200 });

describe('the retry schedule (spec §2.2)', () => {
  test('is immediately, 5 s, 30 s, 5 min, 30 min: 6 tries at most', () => {
    expect(RETRY_DELAYS_MS).toEqual([0, 5_000, 30_000, 300_000, 1_800_000]);
    expect(MAX_TRIES).toBe(6);
    expect(scaledRetryDelays(0.001)).toEqual([0, 5, 30, 300, 1800]);
    expect(scaledRetryDelays(1).reduce((a, b) => a + b, 0)).toBe(35 * 60_000 + 35_000); // the last try ~35.6 min after the first
  });

  test('deliverWithRetries waits the scaled delays between failures and stops at the first 2xx', async () => {
    const { sleep, delays } = fakeSleep();
    const answers = [fail, fail, fail, ok];
    const result = await deliverWithRetries(async () => answers.shift()!, { timeScale: 0.001, sleep });
    expect(result.outcome).toBe('acknowledged');
    expect(result.tries).toHaveLength(4);
    expect(delays).toEqual([0, 5, 30]);
  });

  test('gives up after the 6th try fails, having waited the whole schedule', async () => {
    const { sleep, delays } = fakeSleep();
    let tries = 0;
    const result = await deliverWithRetries(async () => (tries++, fail), { timeScale: 1, sleep });
    expect(result.outcome).toBe('givenUp');
    expect(tries).toBe(6);
    expect(delays).toEqual([0, 5_000, 30_000, 300_000, 1_800_000]);
  });

  test('every push of a run follows the schedule against a receiver failing the first 3 tries', async () => {
    receiver = await startTestReceiver(failFirst(3));
    const { sleep, delays } = fakeSleep();
    const summary = await runSimulation({ url: receiver.url, ...oneCall, timeScale: 0.001, sleep });
    expect(summary.sent).toBe(5);
    expect(summary.acknowledged).toBe(5);
    expect(summary.requests).toBe(20);
    expect(summary.retried).toBe(5);
    expect(summary.retries).toBe(15);
    expect(summary.serverErrors5xx).toBe(15);
    expect(summary.givenUp).toBe(0);
    expect([...delays].sort((a, b) => a - b)).toEqual([0, 0, 0, 0, 0, 5, 5, 5, 5, 5, 30, 30, 30, 30, 30]);
    // each push came 4 times, the 4th acknowledged
    const byBody = new Map<string, number>();
    for (const r of receiver.requests) byBody.set(JSON.stringify(r.body), Math.max(byBody.get(JSON.stringify(r.body)) ?? 0, r.attempt));
    expect([...byBody.values()]).toEqual([4, 4, 4, 4, 4]);
  });

  test('a push failing every try is tried 6 times and given up', async () => {
    receiver = await startTestReceiver(() => ({ status: 503 }));
    const { sleep, delays } = fakeSleep();
    const summary = await runSimulation({ url: receiver.url, ...oneCall, timeScale: 0.001, sleep });
    expect(summary.requests).toBe(30);
    expect(summary.givenUp).toBe(5);
    expect(summary.acknowledged).toBe(0);
    expect(receiver.requests.every((r) => r.attempt <= 6)).toBe(true);
    expect(delays.filter((d) => d === 1800)).toHaveLength(5);
  });

  test('a 4xx is retried like any non-2xx, and counted', async () => {
    receiver = await startTestReceiver(() => ({ status: 400, body: { error: 'INVALID_PUSH' } }));
    const { sleep } = fakeSleep();
    const summary = await runSimulation({ url: receiver.url, ...oneCall, timeScale: 0.001, sleep });
    expect(summary.rejected4xx).toBe(30);
    expect(summary.givenUp).toBe(5);
  });

  test('any 2xx acknowledges (a 204 is not tried again); a 3xx is retried like any non-2xx', async () => {
    receiver = await startTestReceiver((req) => (req.path.endsWith('/status') ? { status: 204, body: '' } : req.attempt === 1 ? { status: 302, body: '' } : { status: 200 }));
    const { sleep } = fakeSleep();
    const summary = await runSimulation({ url: receiver.url, ...oneCall, timeScale: 0.001, sleep });
    expect(summary).toMatchObject({ sent: 5, acknowledged: 5, requests: 6, retried: 1, givenUp: 0 }); // 4 statuses once, the CDR twice
    expect(receiver.requests.filter((r) => r.path.endsWith('/cdr')).map((r) => r.attempt)).toEqual([1, 2]);
  });

  test('a timeout counts as a failure and is retried immediately', async () => {
    receiver = await startTestReceiver((req) => (req.attempt === 1 ? 'hang' : { status: 200 }));
    const { sleep, delays } = fakeSleep();
    // 1 s: a hung try always reaches it; an answered one must not. At 100 ms a busy CI machine once
    // answered a retry too late, and it counted as a seventh timeout.
    const summary = await runSimulation({ url: receiver.url, ...oneCall, timeScale: 1, timeoutMs: 1_000, sleep });
    expect(summary.timeouts).toBe(5);
    expect(summary.acknowledged).toBe(5);
    expect(summary.duplicatesAcknowledged).toBe(5); // the receiver had stored the timed-out try
    expect(delays).toEqual([0, 0, 0, 0, 0]);
  }, 20_000);

  test('a refused connection counts as a failure', async () => {
    receiver = await startTestReceiver();
    const url = receiver.url;
    await receiver.close();
    receiver = undefined;
    const { sleep } = fakeSleep();
    const summary = await runSimulation({ url, ...oneCall, calls: 1, timeScale: 0.001, sleep });
    expect(summary.networkErrors).toBe(30);
    expect(summary.givenUp).toBe(5);
  });

  test('with real waiting, the receiver sees the tries spaced by the scaled delays', async () => {
    const arrivals: number[] = [];
    receiver = await startTestReceiver((req) => {
      if (req.path === '/v1/push/status' && req.body['eventType'] === 1) arrivals.push(performance.now());
      return req.attempt <= 4 ? { status: 500 } : { status: 200 };
    });
    // 0.01: 0, 50, 300, 3000 ms before tries 2..5
    await runSimulation({ url: receiver.url, ...oneCall, timeScale: 0.01 });
    const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]!);
    expect(gaps).toHaveLength(4);
    // never sooner than scheduled, with the real timers: a slow machine can only make a gap longer.
    // The exact delays, step by step, are checked on the fake clock above; no upper bound here.
    [0, 50, 300, 3000].forEach((expected, i) => {
      expect(gaps[i]!).toBeGreaterThanOrEqual(expected - 1);
    });
  }, 20_000);

  test('the drain timeout abandons retries still waiting', async () => {
    receiver = await startTestReceiver(() => ({ status: 500 }));
    // the run must end before the 5 s retry it abandons would have been tried
    const fiveSeconds = new Promise<'retry due'>((resolve) => setTimeout(() => resolve('retry due'), 5_000).unref());
    const run = runSimulation({ url: receiver.url, ...oneCall, timeScale: 1, drainTimeoutMs: 50 });
    expect(await Promise.race([run.then(() => 'run ended' as const), fiveSeconds])).toBe('run ended');
    const summary = await run;
    expect(summary.abandoned).toBe(5);
    expect(summary.requests).toBe(10); // first try and the immediate retry, then a 5 s wait cut short
  }, 15_000);
});
