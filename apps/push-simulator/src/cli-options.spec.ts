import { describe, expect, test } from '@jest/globals';
import { callIdFor } from './call-flow.generator.js';
import { CliError, MAX_TIMER_MS, MAX_TIME_SCALE, parseCli, USAGE } from './cli-options.js';
import { RETRY_DELAYS_MS } from './retry-schedule.js';

const URL_AND_CALLS = ['--url', 'http://127.0.0.1:3000', '--calls', '10'];

/** main.ts answers a CliError with the message, the usage and exit code 2 */
function expectRefused(args: string[], message: RegExp) {
  let thrown: unknown;
  try {
    parseCli(args);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(CliError);
  expect((thrown as Error).message).toMatch(message);
}

const runIdOf = (length: number) => 'r'.repeat(length);

describe('parseCli', () => {
  test('good options still parse', () => {
    const cli = parseCli([
      '--url', 'https://receiver.example:8443/base', '--calls', '1000', '--duration', '2m', '--rate', '0.5', '--concurrency', '64',
      '--time-scale', String(MAX_TIME_SCALE), '--timeout', '500ms', '--drain-timeout', '0', '--seed', '7', '--run-id', runIdOf(117),
      '--mix', 'answered=3,sms=1', '--lost-status-rate', '0.25', '--unit-mixup-rate', '1',
    ]);
    expect(cli.simulation).toMatchObject({
      url: 'https://receiver.example:8443/base', calls: 1000, durationMs: 120_000, rate: 0.5, concurrency: 64, timeScale: 1000,
      timeoutMs: 500, drainTimeoutMs: 0, seed: 7, runId: runIdOf(117), mix: { answered: 3, unanswered: 0, privacy: 0, sms: 1 },
      anomalies: { duplicate: 0, reorder: 0, cdrFirst: 0, lostStatus: 0.25, missingCdr: 0, unitMixup: 1 },
    });
    expect(parseCli(['--url', 'http://x', '--duration', '30s', '--rate', '0']).simulation).toMatchObject({ durationMs: 30_000, rate: 0, timeoutMs: 3000 });
    expect(parseCli(['--url', 'http://x', '--calls', '1', '--seed', 'abc']).simulation.seed).toBe('abc');
  });

  test('--duration 0 or negative is refused', () => {
    expectRefused(['--url', 'http://x', '--duration', '0'], /--duration: "0" — expected a duration > 0/);
    expectRefused(['--url', 'http://x', '--duration', '0ms'], /--duration/);
    expectRefused(['--url', 'http://x', '--duration=-5s'], /--duration: "-5s" is not a duration/);
  });

  test('--timeout 0 or negative is refused', () => {
    expectRefused([...URL_AND_CALLS, '--timeout', '0'], /--timeout: "0" — expected a duration > 0/);
    expectRefused([...URL_AND_CALLS, '--timeout=-1s'], /--timeout: "-1s" is not a duration/);
  });

  test("a timer longer than Node's 2^31−1 ms is refused (--timeout, --drain-timeout)", () => {
    expectRefused([...URL_AND_CALLS, '--timeout', '600h'], /--timeout: "600h" — expected .*2\^31−1 ms/);
    expectRefused([...URL_AND_CALLS, '--drain-timeout', '600h'], /--drain-timeout: "600h" — expected .*2\^31−1 ms/);
    expect(parseCli([...URL_AND_CALLS, '--drain-timeout', '596h']).simulation.drainTimeoutMs).toBe(596 * 3_600_000);
  });

  test('--time-scale above 1000 is refused: the scaled 30-min retry wait would overflow the timer', () => {
    expect(Math.max(...RETRY_DELAYS_MS) * MAX_TIME_SCALE).toBeLessThanOrEqual(MAX_TIMER_MS);
    expectRefused([...URL_AND_CALLS, '--time-scale', '1001'], /--time-scale: "1001" — expected a factor 0\.\.1000/);
    expectRefused([...URL_AND_CALLS, '--time-scale', '5000'], /--time-scale/);
  });

  test('a --rate so small that one interval overflows the timer is refused', () => {
    expectRefused([...URL_AND_CALLS, '--rate', '0.0000001'], /--rate: "0.0000001" — expected 0 \(unlimited\) or a rate whose interval/);
    const slowest = 1000 / MAX_TIMER_MS;
    expect(parseCli([...URL_AND_CALLS, '--rate', '0.000001']).simulation.rate).toBeGreaterThan(slowest);
  });

  test('a --run-id too long for 128-character callIds is refused; the limit depends on the largest call number', () => {
    // 8 hex digits for call numbers below 2^32: 128 − "SIM" − 8 = 117
    expect(callIdFor(runIdOf(117), 9)).toHaveLength(128);
    expectRefused([...URL_AND_CALLS, '--run-id', runIdOf(118)], /--run-id: "r+" has 118 characters — at most 117/);
    // 2^40 calls: 10 hex digits
    expect(parseCli(['--url', 'http://x', '--calls', String(2 ** 40), '--run-id', runIdOf(115)]).simulation.runId).toHaveLength(115);
    expectRefused(['--url', 'http://x', '--calls', String(2 ** 40), '--run-id', runIdOf(116)], /at most 115/);
    // without --calls any call number up to 2^53 may come: 14 hex digits
    expect(parseCli(['--url', 'http://x', '--duration', '1s', '--run-id', runIdOf(111)]).simulation.runId).toHaveLength(111);
    expect(callIdFor(runIdOf(111), Number.MAX_SAFE_INTEGER)).toHaveLength(128);
    expectRefused(['--url', 'http://x', '--duration', '1s', '--run-id', runIdOf(112)], /at most 111/);
  });

  test('--url must be an absolute http(s) URL', () => {
    expectRefused(['--url', '127.0.0.1:3000', '--calls', '1'], /--url: "127.0.0.1:3000" is not an absolute URL/);
    expectRefused(['--url', '/v1/push', '--calls', '1'], /is not an absolute URL/);
    expectRefused(['--url', 'localhost:3000', '--calls', '1'], /--url: "localhost:3000" is not an http:\/\/ or https:\/\/ URL/);
    expectRefused(['--url', 'ftp://example.com', '--calls', '1'], /is not an http:\/\/ or https:\/\/ URL/);
    // credentials that do not decode would fail every push, one by one, only to be told at the end
    expectRefused(['--url', 'http://us%zz:p@127.0.0.1:3000', '--calls', '1'], /--url: its user or password is not percent-encoded text/);
  });

  test('a --mix that names a kind twice is refused', () => {
    expectRefused([...URL_AND_CALLS, '--mix', 'answered=1,sms=1,answered=2'], /--mix: "answered" is given more than once/);
    expectRefused([...URL_AND_CALLS, '--mix', 'sms=1, sms=1'], /--mix: "sms" is given more than once/);
  });

  test('integer options take plain decimal digits only: no 0x10, 1e3, 1.0, +5 or spaces', () => {
    for (const bad of ['0x10', '1e3', '0b1', '1.0', '+5', ' 5', 'Infinity', '']) {
      expectRefused(['--url', 'http://x', '--calls', bad], /--calls: ".*" — expected a whole number ≥ 1, in decimal digits/);
      expectRefused([...URL_AND_CALLS, '--concurrency', bad], /--concurrency: .* — expected a whole number ≥ 1/);
    }
    expectRefused(['--url', 'http://x', '--calls', '9007199254740993'], /--calls/);
    expect(parseCli(['--url', 'http://x', '--calls', '0010']).simulation.calls).toBe(10);
  });

  test('fractional options take plain decimals only: no 1e-3 or 0x1', () => {
    expectRefused([...URL_AND_CALLS, '--duplicate-rate', '0x1'], /--duplicate-rate: "0x1" — expected a probability/);
    expectRefused([...URL_AND_CALLS, '--reorder-rate', '1e-3'], /--reorder-rate/);
    expectRefused([...URL_AND_CALLS, '--rate', '1e3'], /--rate/);
    expectRefused([...URL_AND_CALLS, '--time-scale', '1e-3'], /--time-scale/);
    expect(parseCli([...URL_AND_CALLS, '--time-scale', '0.001', '--rate', '1000']).simulation).toMatchObject({ timeScale: 0.001, rate: 1000 });
  });

  test('a decimal may start with its point (.5); a --mix weight takes the same forms as every other number', () => {
    expect(parseCli([...URL_AND_CALLS, '--duplicate-rate', '.5', '--rate', '.5']).simulation).toMatchObject({ rate: 0.5, anomalies: { duplicate: 0.5 } });
    expect(parseCli([...URL_AND_CALLS, '--mix', 'answered=.5,sms=2']).simulation.mix).toMatchObject({ answered: 0.5, sms: 2 });
    for (const bad of ['answered=1e2', 'answered=0x10', 'answered= 1', 'answered=']) expectRefused([...URL_AND_CALLS, '--mix', bad], /--mix/);
    expectRefused([...URL_AND_CALLS, '--rate', '.'], /--rate/);
  });

  test('an option given twice is refused, not silently the last', () => {
    expectRefused([...URL_AND_CALLS, '--calls', '2'], /--calls is given more than once/);
    expectRefused([...URL_AND_CALLS, '--json', '--json'], /--json is given more than once/);
  });

  test('the usage says an anomaly rate counts only the calls the knob can apply to', () => {
    expect(parseCli(['--help']).help).toBe(true);
    expect(USAGE.replace(/\s+/g, ' ')).toMatch(/a chance per call of the calls the knob can apply to/);
  });
});
