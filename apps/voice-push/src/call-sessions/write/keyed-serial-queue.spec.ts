import { describe, expect, test } from '@jest/globals';
import { KeyedSerialQueue } from './keyed-serial-queue.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedSerialQueue', () => {
  test('runs tasks of one key one at a time, in order, even when one fails', async () => {
    const queue = new KeyedSerialQueue();
    const log: string[] = [];
    let running = 0;
    const task = (name: string, fail = false) => async () => {
      running += 1;
      expect(running).toBe(1);
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      running -= 1;
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([
      queue.run('call-1', task('a')),
      queue.run('call-1', task('b', true)),
      queue.run('call-1', task('c')),
    ]);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    await queue.drain();
    expect(queue.activeKeys).toBe(0);
  });

  test('runs different keys concurrently', async () => {
    const queue = new KeyedSerialQueue();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = queue.run('call-1', () => gate.then(() => 'one'));
    const second = await queue.run('call-2', async () => 'two');
    expect(second).toBe('two');
    release();
    expect(await first).toBe('one');
  });
});
