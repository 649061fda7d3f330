import { describe, expect, jest, test } from '@jest/globals';
import { REPEATED_SIGNAL_MS, stopOnSignal, type Closable } from './stop-on-signal.js';

/** stopOnSignal on a fake clock, with the exits and closes it asked for recorded */
function harness(embedded: boolean, closeWith: Promise<void> = Promise.resolve()) {
  const clock = { now: 0 };
  const exits: number[] = [];
  const logger = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const stop = stopOnSignal({ logger: logger as never, embedded, shutdownTimeoutMs: 20_000, exit: (code) => exits.push(code), now: () => clock.now });
  const service = { closes: 0, close: () => ((service.closes += 1), closeWith) } as Closable & { closes: number };
  return { clock, exits, stop, service };
}
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('stopOnSignal', () => {
  test('with DATABASE_URL, a signal during the start exits at once', () => {
    const h = harness(false);
    h.stop.signal('SIGTERM');
    expect(h.exits).toEqual([0]);
  });

  test('during an embedded start, a signal waits for the start, then the close stops everything', async () => {
    const h = harness(true);
    h.stop.signal('SIGINT');
    expect(h.exits).toEqual([]);
    h.stop.started(h.service);
    await settle();
    expect(h.service.closes).toBe(1);
    expect(h.exits).toEqual([0]);
  });

  test('during an embedded start, a second signal exits now: nobody has to wait out initdb or a migration', () => {
    const h = harness(true);
    h.stop.signal('SIGINT');
    h.clock.now += REPEATED_SIGNAL_MS;
    h.stop.signal('SIGINT');
    expect(h.exits).toEqual([1]);
  });

  test('one Ctrl-C passed on twice (npm and the terminal) is one signal, during the start and during the close', async () => {
    const starting = harness(true);
    starting.stop.signal('SIGINT');
    starting.clock.now += REPEATED_SIGNAL_MS - 1;
    starting.stop.signal('SIGINT');
    expect(starting.exits).toEqual([]);

    let finish!: () => void;
    const running = harness(true, new Promise((resolve) => (finish = resolve)));
    running.stop.started(running.service);
    running.stop.signal('SIGINT');
    running.clock.now += REPEATED_SIGNAL_MS - 1;
    running.stop.signal('SIGINT');
    expect(running.service.closes).toBe(1);
    expect(running.exits).toEqual([]);
    finish();
    await settle();
    expect(running.exits).toEqual([0]);
  });

  test('once started, a second signal after the repeat window exits without the drain', () => {
    const h = harness(true, new Promise(() => undefined));
    h.stop.started(h.service);
    h.stop.signal('SIGTERM');
    h.clock.now += REPEATED_SIGNAL_MS;
    h.stop.signal('SIGTERM');
    expect(h.exits).toEqual([1]);
  });

  test('a close that outlasts SHUTDOWN_TIMEOUT exits 1', () => {
    jest.useFakeTimers();
    try {
      const h = harness(false, new Promise(() => undefined));
      h.stop.started(h.service);
      h.stop.signal('SIGTERM');
      jest.advanceTimersByTime(19_999);
      expect(h.exits).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(h.exits).toEqual([1]);
    } finally {
      jest.useRealTimers();
    }
  });
});
