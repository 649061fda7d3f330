import { describe, expect, test } from '@jest/globals';
import type { SqlExecutor } from './event-store.port.js';
import { PositionAllocator } from './position-allocator.js';

/** A sequence stepping by `step`, as Postgres would serve it, counting the values each draw asked for. */
function fakeSequence(start = 1, step = 1) {
  let next = start;
  const calls: number[] = [];
  let release: (() => void) | null = null;
  const db: SqlExecutor = {
    async query<T>(_sql: string, params: unknown[] = []) {
      const n = Number(params[0]);
      calls.push(n);
      if (hold) await new Promise<void>((resolve) => (release = resolve));
      // nextval over generate_series: not promised in order, so hand them out reversed
      const values = Array.from({ length: n }, () => (next += step) - step).reverse();
      return values.map((p) => ({ p: String(p), step })) as T[];
    },
  };
  let hold = false;
  return {
    db,
    calls,
    holdNext: () => (hold = true),
    releaseHeld: () => {
      hold = false;
      release?.();
    },
  };
}

describe('PositionAllocator', () => {
  test('one draw reserves a block when the sequence steps by it; positions increase', async () => {
    const seq = fakeSequence(100, 5);
    const positions = new PositionAllocator(seq.db, 5);
    expect(await positions.take(2)).toEqual(['100', '101']);
    expect(await positions.take(3)).toEqual(['102', '103', '104']);
    expect(seq.calls).toEqual([1]);
    expect(await positions.take(4)).toEqual(['105', '106', '107', '108']);
    expect(seq.calls).toEqual([1, 1]);
  });

  test('a take larger than a block is served whole, across draws', async () => {
    const seq = fakeSequence(1, 3);
    const positions = new PositionAllocator(seq.db, 3);
    await positions.take(2);
    expect(await positions.take(7)).toEqual(['3', '4', '5', '6', '7', '8', '9']);
    expect(seq.calls).toEqual([1, 2]);
  });

  test('on a sequence that steps by one, a refill draws one value per position', async () => {
    const seq = fakeSequence(10, 1);
    const positions = new PositionAllocator(seq.db, 5);
    expect(await positions.take(3)).toEqual(['10', '11', '12']);
    // the first draw learns the step
    expect(seq.calls).toEqual([1, 5]);
    expect(await positions.take(4)).toEqual(['13', '14', '15', '16']);
    expect(seq.calls).toEqual([1, 5, 5]);
  });

  test('concurrent takers share one refill and never get the same position', async () => {
    const seq = fakeSequence(1, 10);
    const positions = new PositionAllocator(seq.db, 10);
    seq.holdNext();
    const takes = Promise.all([positions.take(4), positions.take(4), positions.take(4)]);
    seq.releaseHeld();
    const all = (await takes).flat();
    expect(new Set(all).size).toBe(12);
    expect(seq.calls).toEqual([1, 1]);
  });
});
