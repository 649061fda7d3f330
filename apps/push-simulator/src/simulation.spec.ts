import { afterEach, describe, expect, test } from '@jest/globals';
import { parseCli } from './cli-options.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { LatencyRecorder } from './latency-recorder.js';
import { connectOptions, type Transport } from './http-transport.js';
import type { PlannedCall } from './anomalies.js';
import type { Push } from './push.js';
import type { Sleep } from './retry-schedule.js';
import type { TryOutcome } from './try-outcome.js';
import { RateLimiter } from './rate-limiter.js';
import { runSimulation } from './simulation.js';
import { startTestReceiver, type TestReceiver } from './testing/test-receiver.js';

/** acknowledges everything at once, remembers what it was sent */
function recordingTransport(): Transport & { sent: Push[]; maxInFlight: number } {
  let inFlight = 0;
  const t = {
    sent: [] as Push[],
    maxInFlight: 0,
    async send(push: Push) {
      t.sent.push(push);
      inFlight++;
      t.maxInFlight = Math.max(t.maxInFlight, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return { kind: 'response' as const, status: 200, latencyMs: 0.1, duplicate: false };
    },
    async close() {},
  };
  return t;
}

const ANSWERED_ONLY = { answered: 1, unanswered: 0, privacy: 0, sms: 0 };

/** A run's fake clock: `now` reads it, `sleep` moves it (paced slots, retry waits); a test may move it too. */
function fakeClock() {
  const clock = { ms: 0, now: () => clock.ms, sleep: async (ms: number) => void (clock.ms += ms) };
  return clock;
}

/**
 * A clock that moves only when the earliest sleeper wakes (one per turn of the event loop, after
 * what is ready then): unlike fakeClock, many sleepers at once each wake at their own time.
 */
function virtualClock() {
  let ms = 0;
  const timers: Array<{ at: number; wake: () => void }> = [];
  let turn: NodeJS.Immediate | null = null;
  const next = () => {
    turn = null;
    timers.sort((a, b) => a.at - b.at);
    const timer = timers.shift();
    if (!timer) return;
    ms = Math.max(ms, timer.at);
    timer.wake();
    if (timers.length > 0) turn = setImmediate(next);
  };
  return {
    now: () => ms,
    sleep: (delay: number) =>
      new Promise<void>((wake) => {
        timers.push({ at: ms + delay, wake });
        turn ??= setImmediate(next);
      }),
  };
}

/**
 * recordingTransport (`sent` in the order the tries went out), with each try shown to `script` as
 * it ends (its 1-based number in that order, and its push): the script may move a fake clock — the
 * try took that long —, and what it returns changes the 200 answer: a whole outcome (with `kind`)
 * replaces it, fields are laid over it.
 */
function scriptedTransport(script: (n: number, push: Push) => Partial<TryOutcome> | undefined | void): Transport & { sent: Push[] } {
  const transport = recordingTransport();
  let n = 0;
  return {
    sent: transport.sent,
    send: async (push) => {
      const outcome = await transport.send(push);
      const change = script(++n, push);
      if (!change) return outcome;
      return 'kind' in change ? (change as TryOutcome) : ({ ...outcome, ...change } as TryOutcome);
    },
    close: () => transport.close(),
  };
}

describe('runSimulation', () => {
  let receiver: TestReceiver | undefined;
  afterEach(async () => receiver?.close());

  test('the mix proportions hold for a seeded 1000-call run', async () => {
    const summary = await runSimulation({ url: 'http://unused', calls: 1000, seed: 42, transport: recordingTransport() });
    expect(summary.calls).toBe(1000);
    const share = (k: keyof typeof summary.callsByKind) => summary.callsByKind[k] / 1000;
    expect(share('answered')).toBeCloseTo(0.6, 1);
    expect(share('unanswered')).toBeCloseTo(0.25, 1);
    expect(share('privacy')).toBeCloseTo(0.1, 1);
    expect(share('sms')).toBeCloseTo(0.05, 1);
    expect(Math.abs(share('answered') - 0.6)).toBeLessThan(0.05);
    expect(Math.abs(share('sms') - 0.05)).toBeLessThan(0.02);
  });

  test('is reproducible: same seed and run id, same pushes in the same order (one at a time)', async () => {
    const run = async (seed: number) => {
      const t = recordingTransport();
      await runSimulation({ url: 'x', calls: 100, seed, runId: 'r', baseTimeMs: 1_700_000_000_000, concurrency: 1, transport: t,
        anomalies: { duplicate: 0.2, reorder: 0.2, cdrFirst: 0.2, lostStatus: 0.2, missingCdr: 0.2, unitMixup: 0.2 } });
      return t.sent.map((p) => JSON.stringify(p.body));
    };
    expect(await run(1)).toEqual(await run(1));
    expect(await run(1)).not.toEqual(await run(2));
  });

  test('never has more than `concurrency` tries in flight', async () => {
    const t = recordingTransport();
    await runSimulation({ url: 'x', calls: 200, concurrency: 4, transport: t });
    expect(t.maxInFlight).toBe(4);
  });

  test('stops starting calls after --duration', async () => {
    // a fake clock: every try takes 10 ms, so the run's length is a count, not a speed
    const clock = fakeClock();
    const ticking = scriptedTransport(() => void (clock.ms += 10));
    const callStarts: number[] = [];
    const summary = await runSimulation({ url: 'x', durationMs: 200, concurrency: 1, transport: ticking, now: clock.now, onCall: () => callStarts.push(clock.ms) });
    expect(callStarts.every((at) => at < 200)).toBe(true);
    expect(clock.ms).toBeGreaterThanOrEqual(200);
    expect(summary.calls).toBe(callStarts.length);
    expect(summary.calls).toBeGreaterThan(0);
    expect(summary.acknowledged).toBe(summary.sent);
  });

  test('reports sent, acknowledged and latency percentiles against a real receiver', async () => {
    receiver = await startTestReceiver();
    const summary = await runSimulation({ url: receiver.url, calls: 100, concurrency: 16 });
    expect(summary.sent).toBe(receiver.requests.length);
    expect(summary.acknowledged).toBe(summary.sent);
    expect(summary.latencyMs.count).toBe(summary.sent);
    expect(receiver.requests.filter((r) => r.path === '/v1/push/cdr')).toHaveLength(100);
  });

  test('latency percentiles are exact nearest-rank figures over every try', async () => {
    // the transport answers the n-th try with a latency of n ms: the figures are known in advance
    let n = 0;
    const numbered = scriptedTransport((i) => ({ latencyMs: (n = i) }));
    const summary = await runSimulation({ url: 'x', calls: 50, concurrency: 1, transport: numbered });
    const rank = (p: number) => Math.ceil((p / 100) * n);
    expect(summary.latencyMs).toMatchObject({ count: n, p50: rank(50), p95: rank(95), p99: rank(99), max: n });
    // and they come out ranked: p50, p95, p99, max in ascending order (no timing involved: the
    // latencies are the try numbers above)
    const figures = [summary.latencyMs.p50, summary.latencyMs.p95, summary.latencyMs.p99, summary.latencyMs.max];
    expect(figures).toEqual([...figures].sort((a, b) => a - b));
  });

  test('the summary names the seconds of the run whose answers were slowest (a stall tells itself)', async () => {
    // a fake clock: each try takes 250 ms of it; the 9th try answers in 900 ms, at 2.25 s
    const clock = fakeClock();
    const stalling = scriptedTransport((n) => {
      clock.ms += 250;
      return { latencyMs: n === 9 ? 900 : 5 };
    });
    const summary = await runSimulation({ url: 'x', calls: 4, concurrency: 1, transport: stalling, now: clock.now });
    expect(summary.latencyMs.worstSeconds[0]).toEqual({ second: 2, count: 4, max: 900 });
    expect(summary.latencyMs.worstSeconds.slice(1).every((s) => s.max === 5)).toBe(true);
  });

  test('--rate paces the new pushes of a run: one every 1000/rate ms of the clock, and the summary says so', async () => {
    // a fake clock that only the pacing moves: a run of 41 pushes at 100/s takes 400 ms of it
    const clock = fakeClock();
    const sentAt: number[] = [];
    const clocked = scriptedTransport(() => void sentAt.push(clock.ms));
    const summary = await runSimulation({ url: 'x', calls: 8, concurrency: 1, rate: 100, mix: ANSWERED_ONLY, transport: clocked, now: clock.now, sleep: clock.sleep });
    expect(sentAt.length).toBeGreaterThan(8);
    expect(sentAt.slice(1).map((at, i) => at - sentAt[i]!)).toEqual(sentAt.slice(1).map(() => 10));
    expect(summary.openLoop).toMatchObject({ targetRate: 100, rateMet: true, skippedSlots: 0, latencyFromScheduleMs: { count: sentAt.length, max: 0 } });
    // a closed loop has no schedule to report
    expect((await runSimulation({ url: 'x', calls: 2, transport: recordingTransport() })).openLoop).toBeNull();
  });

  test('--rate: a stall that holds every connection skips slots, and the summary says the rate fell short', async () => {
    // a fake clock that only the pacing and one slow answer move: the 5th push takes 1 s
    const clock = fakeClock();
    const stalling = scriptedTransport((n) => void (n === 5 && (clock.ms += 1_000)));
    const summary = await runSimulation({ url: 'x', calls: 20, concurrency: 1, rate: 100, mix: ANSWERED_ONLY, transport: stalling, now: clock.now, sleep: clock.sleep });
    expect(summary.openLoop!.rateMet).toBe(false);
    expect(summary.openLoop!.achievedRate).toBeLessThan(95);
    expect(summary.openLoop!.skippedSlots).toBeGreaterThan(80); // ~1 s of slots at 100/s, less the burst
    // the push that stalled is counted from its slot
    expect(summary.openLoop!.latencyFromScheduleMs.max).toBeGreaterThanOrEqual(1_000);
  });

  test('a retry keeps the schedule under --rate: it is not paced behind the new pushes, nor queued behind them', async () => {
    // 8 senders at 20 new pushes/s keep ~8 paced slots booked ahead: a retry paced or queued with
    // them went out after all of them. The 5th push's first try fails; its retry is due at once.
    const failingOnce = scriptedTransport((n) => (n === 5 ? { status: 503 } : undefined));
    const summary = await runSimulation({ url: 'x', calls: 4, concurrency: 8, rate: 20, timeScale: 0, transport: failingOnce });
    const order = failingOnce.sent;
    const failed = order[4]!;
    const retryAt = order.indexOf(failed, 5);
    expect(summary).toMatchObject({ retried: 1, acknowledged: summary.sent });
    // the retry went out (indexOf gives -1 if it never did), after the failed try...
    expect(retryAt).toBeGreaterThan(4);
    // ...as the very next request: the call's next push, and every paced one, after it
    expect(retryAt).toBe(5);
  });

  test("the immediate retry goes before the call's next push, at a concurrency of 1 too (spec §2.2: right after the failure)", async () => {
    // every push fails its first try: each is tried again before the next push of its call
    const seen = new Set<Push>();
    const firstTriesFail = scriptedTransport((_, push) => (seen.has(push) ? undefined : (seen.add(push), { status: 500 })));
    const summary = await runSimulation({ url: 'x', calls: 2, concurrency: 1, timeScale: 0, mix: ANSWERED_ONLY, transport: firstTriesFail });
    const order = firstTriesFail.sent;
    expect(summary).toMatchObject({ retried: summary.sent, acknowledged: summary.sent, requests: 2 * summary.sent });
    // tries in pairs: the failed one, then its retry
    expect(order.filter((_, i) => i % 2 === 0)).toEqual(order.filter((_, i) => i % 2 === 1));
  });

  test('the immediate retry keeps its connection: no push waiting for one, of any call, goes between the failure and the retry', async () => {
    // 4 connections, 40 calls, every push fails its first try; tries start and end in turns of the event loop
    const log: Array<{ event: 'start' | 'end'; push: Push; ok?: boolean }> = [];
    const tried = new Set<Push>();
    const failsFirst: Transport = {
      async send(push) {
        log.push({ event: 'start', push });
        await new Promise((resolve) => setImmediate(resolve));
        const ok = tried.has(push);
        tried.add(push);
        log.push({ event: 'end', push, ok });
        return { kind: 'response', status: ok ? 200 : 500, latencyMs: 0.1, duplicate: false };
      },
      async close() {},
    };
    const summary = await runSimulation({ url: 'x', calls: 40, concurrency: 4, timeScale: 0, mix: ANSWERED_ONLY, transport: failsFirst });
    expect(summary).toMatchObject({ retried: summary.sent, acknowledged: summary.sent });
    const failures = log.flatMap((entry, i) => (entry.event === 'end' && !entry.ok ? [i] : []));
    expect(failures).toHaveLength(summary.sent);
    // the next try to start after each failure is its retry
    for (const i of failures) expect(log.slice(i + 1).find((entry) => entry.event === 'start')?.push).toBe(log[i]!.push);
  });

  test('an interrupt ends a slow open loop at once: nobody waits out the slots booked ahead', async () => {
    // 0.5 pushes/s and 8 senders book slots up to 16 s ahead; this sleep never ends unless aborted
    const interrupt = new AbortController();
    const parked: Sleep = (ms, signal) => (ms <= 0 ? Promise.resolve() : new Promise((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true })));
    const once = scriptedTransport(() => void interrupt.abort());
    const summary = await runSimulation({
      url: 'x', calls: 100, rate: 0.5, concurrency: 8, mix: ANSWERED_ONLY, transport: once, sleep: parked, interrupt: interrupt.signal,
    });
    expect(once.sent).toHaveLength(1);
    expect(summary).toMatchObject({ interrupted: true, calls: 1, sent: 1, acknowledged: 1, notSent: 4 });
    // the slots booked and never handed out are not in the schedule's report: the one slot kept the rate
    expect(summary.openLoop).toMatchObject({ targetRate: 0.5, achievedRate: 0.5, rateMet: true });
  }, 5_000);

  test('a retry that waited for a connection through the interrupt does not go out: it is abandoned', async () => {
    // one connection: push 1 fails twice; its 2nd retry waits while push 2 has the connection, and push 2's try interrupts
    const interrupt = new AbortController();
    const failing = scriptedTransport((n) => {
      if (n === 3) interrupt.abort();
      return n <= 2 ? { status: 500 } : undefined;
    });
    const summary = await runSimulation({ url: 'x', calls: 1, concurrency: 1, timeScale: 0, mix: ANSWERED_ONLY, transport: failing, interrupt: interrupt.signal });
    expect(failing.sent).toHaveLength(3);
    expect(failing.sent[2]).not.toBe(failing.sent[0]);
    expect(summary).toMatchObject({ interrupted: true, sent: 2, acknowledged: 1, abandoned: 1, requests: 3, notSent: 3 });
  });

  test('a transport that throws (a bug, not an HTTP outcome) fails the run instead of vanishing from the counts', async () => {
    const throwing = scriptedTransport((n) => {
      if (n === 3) throw new Error('transport bug');
    });
    await expect(runSimulation({ url: 'x', calls: 3, concurrency: 1, transport: throwing })).rejects.toThrow('transport bug');
  });

  test('an interrupted run sends nothing new, abandons the waiting retries, and says what was not sent', async () => {
    // at the 7th try: abort; the pushes that failed wait for a 5 s retry that never comes
    const interrupt = new AbortController();
    const clock = fakeClock();
    let n = 0;
    const failing = scriptedTransport(() => {
      if (++n === 7) interrupt.abort();
      return n % 3 === 0 ? { status: 503 } : undefined;
    });
    const calls: PlannedCall[] = [];
    const summary = await runSimulation({
      url: 'x', calls: 50, concurrency: 1, mix: ANSWERED_ONLY, transport: failing, interrupt: interrupt.signal, now: clock.now, sleep: clock.sleep,
      onCall: (call) => calls.push(call),
    });
    const planned = calls.reduce((sum, call) => sum + call.pushes.length, 0);
    expect(summary.interrupted).toBe(true);
    expect(failing.sent).toHaveLength(7); // no try after the interrupt
    expect(summary.calls).toBe(calls.length);
    expect(summary.calls).toBeLessThan(50);
    expect(summary.sent + summary.notSent).toBe(planned);
    expect(summary.notSent).toBeGreaterThan(0);
    // tries 3 and 6 failed (their retries were at once: tries 4 and 7... the 7th answered 200)
    expect(summary).toMatchObject({ requests: 7, givenUp: 0 });
    expect(summary.acknowledged + summary.abandoned).toBe(summary.sent);
  });

  test("--duration at a low rate: a call is made when its first push's slot comes, and none after the end", async () => {
    // 10 new pushes/s, 8 workers, 500 ms: before, each worker made a call at 0 ms and then waited its turn
    const clock = virtualClock();
    const startedAt = new Map<Push, number>();
    const transport: Transport = {
      async send(push) {
        if (!startedAt.has(push)) startedAt.set(push, clock.now());
        await new Promise((resolve) => setImmediate(resolve));
        return { kind: 'response', status: 200, latencyMs: 0.1, duplicate: false };
      },
      async close() {},
    };
    const made: Array<{ call: PlannedCall; at: number }> = [];
    const summary = await runSimulation({
      url: 'x', durationMs: 500, rate: 10, concurrency: 8, mix: ANSWERED_ONLY, transport, now: clock.now, sleep: clock.sleep,
      onCall: (call) => made.push({ call, at: clock.now() }),
    });
    // 5 slots before the end (0, 100, …, 400 ms), shared with the started calls' other pushes
    expect(made.length).toBeGreaterThan(0);
    expect(made.length).toBeLessThanOrEqual(5);
    // each call made at its own slot, its first push going out then
    expect(new Set(made.map(({ at }) => at)).size).toBe(made.length);
    for (const { call, at } of made) {
      expect(at).toBeLessThan(500);
      expect(startedAt.get(call.pushes[0]!)).toBe(at);
    }
    expect(summary.acknowledged).toBe(summary.sent);
  });

  test('throughput counts the answers that came while the load ran, not the retries drained after it', async () => {
    // a fake clock: every try takes 10 ms; the call's last push (its CDR) fails twice, so its
    // retries come after the load ended (the second after a 5 s delay)
    const clock = fakeClock();
    let cdrTries = 0;
    const cdrFailsTwice = scriptedTransport((_, push) => {
      clock.ms += 10;
      return push.kind === 'cdr' && ++cdrTries <= 2 ? { status: 503 } : undefined;
    });
    const summary = await runSimulation({ url: 'x', calls: 1, concurrency: 1, mix: ANSWERED_ONLY, transport: cdrFailsTwice, now: clock.now, sleep: clock.sleep });
    const pushes = summary.sent;
    expect(summary).toMatchObject({ acknowledged: pushes, retries: 2, requests: pushes + 2 });
    // the second retry came 5 s after the first: long after the load
    expect(summary.elapsedMs - summary.loadElapsedMs).toBeGreaterThanOrEqual(5_000);
    const perSecond = (n: number) => Math.round((n / summary.loadElapsedMs) * 1000 * 10) / 10;
    // the CDR's 2xx came after the load: every ack but it
    expect(summary.acksPerSecond).toBe(perSecond(pushes - 1));
    expect(summary.requestsPerSecond).toBeLessThan(perSecond(summary.requests));
  });

  test('time to ack counts a push from its first try: a timeout and the retry show there, not in the 2xx latency', async () => {
    // a fake clock: the first try of the first push times out after 3 s; every other try takes 5 ms
    const clock = fakeClock();
    const onceSlow = scriptedTransport((n) => {
      clock.ms += n === 1 ? 3_000 : 5;
      return n === 1 ? { kind: 'timeout', latencyMs: 3_000 } : { latencyMs: 5 };
    });
    const summary = await runSimulation({ url: 'x', calls: 1, concurrency: 1, timeScale: 0, mix: ANSWERED_ONLY, transport: onceSlow, now: clock.now, sleep: clock.sleep });
    expect(summary).toMatchObject({ timeouts: 1, retried: 1, acknowledged: summary.sent });
    expect(summary.latencyMs.max).toBe(5);
    expect(summary.timeToAckMs).toMatchObject({ count: summary.sent, max: 3_005, p50: 5 });
  });

  test('writes a progress line, and a last one at the end with the final counts', async () => {
    const lines: string[] = [];
    const summary = await runSimulation({ url: 'x', calls: 20, transport: recordingTransport(), progress: (line) => lines.push(line) });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.at(-1)).toMatch(new RegExp(`calls 20 sent ${summary.sent} ack ${summary.acknowledged} .*gave-up 0 `));
  });

  test('--url with a path and a query: each push goes to the path + /v1/push/{kind}, the query kept', async () => {
    receiver = await startTestReceiver();
    await runSimulation({ url: `${receiver.url}/hook/?token=abc&x=1`, calls: 2, mix: { answered: 1, unanswered: 0, privacy: 0, sms: 0 } });
    expect(new Set(receiver.requests.map((r) => r.path))).toEqual(new Set(['/hook/v1/push/status?token=abc&x=1', '/hook/v1/push/cdr?token=abc&x=1']));
  });

  test("--url with credentials: each push carries them as Basic auth (they were dropped without a word)", async () => {
    receiver = await startTestReceiver();
    await runSimulation({ url: receiver.url.replace('http://', 'http://gw:s%3Acret@'), calls: 2, mix: ANSWERED_ONLY });
    const basic = `Basic ${Buffer.from('gw:s:cret').toString('base64')}`;
    expect(receiver.requests.length).toBeGreaterThan(0);
    expect(new Set(receiver.requests.map((r) => r.authorization))).toEqual(new Set([basic]));
  });

  test('credentials in --url as Basic auth: a password alone is sent too, none is none', () => {
    expect(connectOptions(new URL('http://:secret@h/')).auth).toBe(':secret');
    expect(connectOptions(new URL('http://gw@h/')).auth).toBe('gw:');
    expect(connectOptions(new URL('http://h/')).auth).toBeUndefined();
  });

  test('an IPv6 address in --url is connected to without its brackets (node:http looked "[::1]" up as a name)', () => {
    expect(connectOptions(new URL('http://[::1]:3000/x')).hostname).toBe('::1');
    expect(connectOptions(new URL('http://[2001:db8::1]/')).hostname).toBe('2001:db8::1');
    expect(connectOptions(new URL('http://127.0.0.1:3000')).hostname).toBe('127.0.0.1');
    expect(connectOptions(new URL('http://receiver.example')).hostname).toBe('receiver.example');
  });

  test('sends wire bodies: status eventTime as a string of epoch seconds, CDR times epoch ms', async () => {
    receiver = await startTestReceiver();
    await runSimulation({ url: receiver.url, calls: 30 });
    for (const r of receiver.requests) {
      if (r.path === '/v1/push/status') expect(r.body['eventTime']).toMatch(/^\d{10}$/);
      else expect(String(r.body['beginCallTime'])).toMatch(/^\d{13}$/);
    }
  });
});

/** a RateLimiter on a fake clock that records every wait */
function pacedOnFakeClock(rate: number, catchUpMs = 0, start = 0) {
  const fake = { clock: start, waits: [] as number[] };
  const limiter = new RateLimiter(rate, () => fake.clock, async (ms) => {
    fake.waits.push(ms);
    fake.clock += ms;
  }, catchUpMs);
  return Object.assign(fake, { limiter });
}

describe('pacing and measuring', () => {
  test('the rate limiter spaces tries 1000/rate ms apart on a fake clock', async () => {
    const paced = pacedOnFakeClock(100);
    for (let i = 0; i < 5; i++) await paced.limiter.acquire();
    expect(paced.waits).toEqual([10, 10, 10, 10]);
    expect(paced.clock).toBe(40);
  });

  test('missed slots are caught up within the catch-up, never beyond', async () => {
    const paced = pacedOnFakeClock(100, 20);
    await paced.limiter.acquire(); // slot 0
    paced.clock = 100; // 9 slots missed while nobody asked
    for (let i = 0; i < 4; i++) await paced.limiter.acquire();
    expect(paced.waits).toEqual([10]); // slots 80 and 90 caught up, 100 on time, then 110
    expect(paced.clock).toBe(110);
    expect(paced.limiter.skipped).toBe(7); // 10 … 70, passed over: counted, not sent
  });

  test('a run starts on its schedule: no burst before the first slot', async () => {
    const paced = pacedOnFakeClock(100, 20, 1_000);
    for (let i = 0; i < 4; i++) await paced.limiter.acquire();
    expect(paced.waits).toEqual([10, 10, 10]); // the catch-up is for slots missed later, not at the start
    expect(paced.clock).toBe(1_030);
  });

  test.each([
    [10, 150],
    [100, 14],
    [1_000, 1.5],
  ])('every slot of the schedule is handed out or counted as skipped (%d/s, a caller back %d ms after each slot)', async (rate, answerMs) => {
    const paced = pacedOnFakeClock(rate, 100);
    for (let i = 0; i < 1_000; i++) {
      await paced.limiter.acquire();
      paced.clock += answerMs; // the one caller is busy this long: later than the schedule every time
    }
    const report = paced.limiter.report()!;
    expect(report.slots).toBe(1_000);
    expect(report.skipped).toBeGreaterThan(0);
    expect(report.slots + report.skipped).toBe(Math.round(report.spanMs / (1000 / rate)));
  });

  test('at a low rate a late caller within the catch-up is counted from its slot, not from when it came', async () => {
    const paced = pacedOnFakeClock(10, 100);
    expect(await paced.limiter.acquire()).toBe(0);
    paced.clock = 180; // the slot at 100 is 80 ms old
    expect(await paced.limiter.acquire()).toBe(100);
    expect(paced.limiter.skipped).toBe(0);
  });

  test('the schedule ends at its end: no slot at or after it is handed out, nor counted', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(10, clock.now, clock.sleep);
    const slots: Array<number | null | undefined> = [];
    for (let i = 0; i < 7; i++) slots.push(await limiter.acquire(500));
    expect(slots).toEqual([0, 100, 200, 300, 400, undefined, undefined]);
    expect(limiter.report()).toMatchObject({ slots: 5, spanMs: 500, skipped: 0 });
    // a closed loop (no rate) ends at the same moment
    const unpaced = new RateLimiter(0, clock.now, clock.sleep);
    expect(await unpaced.acquire(clock.ms + 1)).toBeNull();
    expect(await unpaced.acquire(clock.ms)).toBeUndefined();
  });

  test('a rate of 0 never waits', async () => {
    const limiter = new RateLimiter(0, () => 0, async () => {
      throw new Error('waited');
    });
    await limiter.acquire();
  });

  test('the concurrency limiter lets a caller go ahead of the waiters (a retry that is due)', async () => {
    const c = new ConcurrencyLimiter(1);
    await c.acquire();
    const order: string[] = [];
    const waiting = [
      c.acquire().then(() => order.push('new')),
      c.acquire(true).then(() => order.push('older retry')),
      c.acquire(true).then(() => order.push('newer retry')),
    ];
    for (let i = 0; i < 3; i++) {
      c.release();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(waiting);
    // retries first, and among them the one that waited longest
    expect(order).toEqual(['older retry', 'newer retry', 'new']);
  });

  test('the concurrency limiter hands a freed slot to the next waiter', async () => {
    const c = new ConcurrencyLimiter(1);
    await c.acquire();
    let second = false;
    const p = c.acquire().then(() => (second = true));
    expect(second).toBe(false);
    c.release();
    await p;
    expect(c.inFlight).toBe(1);
  });

  test('latency percentiles are nearest-rank', () => {
    const r = new LatencyRecorder();
    for (let i = 1; i <= 100; i++) r.record(i);
    expect(r.summary()).toMatchObject({ count: 100, p50: 50, p95: 95, p99: 99, max: 100 });
  });
});

describe('CLI options', () => {
  test('the documented command line parses', () => {
    const cli = parseCli(
      ('--url http://127.0.0.1:3000 --rate 500 --concurrency 32 --calls 1000 --time-scale 0.001 --seed 42 --duplicate-rate 0.1 ' +
        '--reorder-rate 0.2 --cdr-first-rate 0.05 --lost-status-rate 0.05 --missing-cdr-rate 0.02 --unit-mixup-rate 0.01 ' +
        '--mix answered=0.6,unanswered=0.25,privacy=0.1,sms=0.05 --json').split(' '),
    );
    expect(cli.json).toBe(true);
    expect(cli.simulation).toMatchObject({
      url: 'http://127.0.0.1:3000', rate: 500, concurrency: 32, calls: 1000, timeScale: 0.001, seed: 42, timeoutMs: 3000,
      anomalies: { duplicate: 0.1, reorder: 0.2, cdrFirst: 0.05, lostStatus: 0.05, missingCdr: 0.02, unitMixup: 0.01 },
      mix: { answered: 0.6, unanswered: 0.25, privacy: 0.1, sms: 0.05 },
    });
    expect(parseCli(['--url', 'http://x', '--duration', '30s']).simulation.durationMs).toBe(30_000);
  });

  test('bad values are refused', () => {
    expect(() => parseCli(['--url', 'http://x'])).toThrow(/--calls or --duration/);
    expect(() => parseCli(['--url', 'http://x', '--calls', '1', '--duplicate-rate', '2'])).toThrow(/probability/);
    expect(() => parseCli(['--url', 'http://x', '--calls', '1', '--mix', 'answered=x'])).toThrow(/--mix/);
    expect(() => parseCli(['--url', 'http://x', '--duration', '10 parsecs'])).toThrow(/duration/);
  });
});
