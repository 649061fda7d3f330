// The simulator as a user runs it (`npm run simulate`, the built CLI): exit codes, the summary on
// stdout, and Ctrl-C, against the simulator's own small test receiver.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, describe, expect, test } from '@jest/globals';
import { startTestReceiver, type TestReceiver } from '../../apps/push-simulator/src/testing/test-receiver.js';
import { eventually } from '../support/poll.js';

const SIMULATOR_MAIN = resolve(process.cwd(), 'dist/apps/push-simulator/src/main.js');

interface Run {
  code: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
  signal: (name: NodeJS.Signals) => void;
}

function simulate(args: string[]): Run {
  const child = spawn(process.execPath, [SIMULATOR_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += String(c)));
  child.stderr.on('data', (c: Buffer) => (stderr += String(c)));
  return {
    code: new Promise((done) => child.on('close', (code) => done(code))),
    stdout: () => stdout,
    stderr: () => stderr,
    signal: (name) => child.kill(name),
  };
}

describe('push-simulator CLI', () => {
  let receiver: TestReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  test('a run whose pushes are all acknowledged exits 0 with its summary as JSON, counting what the receiver got', async () => {
    receiver = await startTestReceiver();
    const run = simulate(['--url', receiver.url, '--calls', '20', '--seed', '3', '--json', '--quiet']);
    expect(await run.code).toBe(0);
    const summary = JSON.parse(run.stdout());
    expect(summary).toMatchObject({ calls: 20, interrupted: false, notSent: 0, givenUp: 0, acknowledged: receiver.requests.length, sent: receiver.requests.length });
    expect(run.stderr()).toBe('');
  });

  test('a paced run of many senders prints nothing on stderr: no listener-leak warning from the senders waiting on one signal', async () => {
    receiver = await startTestReceiver();
    const run = simulate(['--url', receiver.url, '--calls', '30', '--rate', '400', '--concurrency', '32', '--json', '--quiet']);
    expect(await run.code).toBe(0);
    expect(run.stderr()).toBe('');
  });

  test('bad usage exits 2 and says what was wrong', async () => {
    const run = simulate(['--url', 'http://127.0.0.1:1', '--calls', '0']);
    expect(await run.code).toBe(2);
    expect(run.stderr()).toMatch(/--calls/);
    expect(run.stdout()).toBe('');
  });

  test('Ctrl-C ends a run early with its summary: nothing new goes out, the waiting retries are abandoned, exit 130', async () => {
    // every try fails: at the real time scale each push would wait 5 s, 30 s, … for its retries
    receiver = await startTestReceiver(() => ({ status: 503 }));
    const run = simulate(['--url', receiver.url, '--calls', '1000', '--rate', '50', '--concurrency', '4']);
    expect(await eventually(() => receiver!.requests.length >= 10, 10_000)).toBe(true);
    const atSignal = receiver.requests.length;
    run.signal('SIGINT');
    expect(await run.code).toBe(130);
    // nothing new after the signal: at most the tries already on their way (the concurrency, 4)
    expect(receiver.requests.length - atSignal).toBeLessThanOrEqual(4);
    expect(run.stderr()).toMatch(/SIGINT: no new push goes out/);
    const table = run.stdout();
    expect(table).toMatch(/^INTERRUPTED +pushes of started calls never sent: \d+$/m);
    // every push that went out failed its tries so far and was waiting for a retry: abandoned
    const sent = Number(/^sent \(pushes\) +(\d+)$/m.exec(table)?.[1]);
    expect(sent).toBeGreaterThanOrEqual(5);
    expect(table).toMatch(new RegExp(`^abandoned \\(drain timeout or interrupt\\) +${sent}$`, 'm'));
    expect(table).toMatch(/^acknowledged +0$/m);
  });

  test('one Ctrl-C passed on twice (npm and the terminal both send it) is one: the summary still comes, exit 130', async () => {
    // the tries in flight never answer: the summary waits for their timeout (1 s), well after the second signal
    receiver = await startTestReceiver(() => 'hang');
    const run = simulate(['--url', receiver.url, '--calls', '100', '--concurrency', '2', '--timeout', '1s']);
    expect(await eventually(() => receiver!.requests.length >= 2, 10_000)).toBe(true);
    run.signal('SIGINT');
    await new Promise((pause) => setTimeout(pause, 100)); // two signals at once would be one to the process
    run.signal('SIGINT');
    expect(await run.code).toBe(130);
    expect(run.stdout()).toMatch(/^INTERRUPTED +pushes of started calls never sent: \d+$/m);
  });
});
