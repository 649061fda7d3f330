import { describe, expect, test } from '@jest/globals';
import { LoadBatcher } from './load-batcher.js';

/** loadMany that records its batches and answers only when told to */
function heldLoader() {
  const batches: string[][] = [];
  const pending: (() => void)[] = [];
  let failWith: Error | null = null;
  const loadMany = (keys: string[]) =>
    new Promise<Map<string, string>>((resolve, reject) => {
      batches.push(keys);
      pending.push(() => (failWith ? reject(failWith) : resolve(new Map(keys.filter((k) => k !== 'none').map((k) => [k, `v-${k}`])))));
    });
  return {
    loadMany,
    batches,
    release: (index: number) => pending[index]!(),
    fail: (error: Error) => (failWith = error),
  };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('LoadBatcher', () => {
  test('keys asked for in the same turn go in one load; a twice-asked key shares it; unknown keys get the missing value', async () => {
    const loader = heldLoader();
    const batcher = new LoadBatcher(loader.loadMany, 'missing');
    const loads = [batcher.load('a'), batcher.load('b'), batcher.load('a'), batcher.load('none')];
    await nextTurn();
    expect(loader.batches).toEqual([['a', 'b', 'none']]);
    loader.release(0);
    expect(await Promise.all(loads)).toEqual(['v-a', 'v-b', 'v-a', 'missing']);
  });

  test('a later key does not wait behind a load in flight', async () => {
    const loader = heldLoader();
    const batcher = new LoadBatcher(loader.loadMany, 'missing');
    const first = batcher.load('a');
    await nextTurn();
    const second = batcher.load('b');
    await nextTurn();
    expect(loader.batches).toEqual([['a'], ['b']]);
    loader.release(1); // the first load still hangs
    expect(await second).toBe('v-b');
    loader.release(0);
    expect(await first).toBe('v-a');
  });

  test('a failed load fails every key of its batch', async () => {
    const loader = heldLoader();
    const batcher = new LoadBatcher(loader.loadMany, 'missing');
    loader.fail(new Error('connection refused'));
    const failed = Promise.allSettled([batcher.load('a'), batcher.load('b')]);
    await nextTurn();
    loader.release(0);
    expect((await failed).map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  test('a big turn is split into loads of at most maxBatch keys', async () => {
    const loader = heldLoader();
    const batcher = new LoadBatcher(loader.loadMany, 'missing', 2);
    const loads = ['a', 'b', 'c', 'd', 'e'].map((k) => batcher.load(k));
    await nextTurn();
    expect(loader.batches).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    [0, 1, 2].forEach((i) => loader.release(i));
    expect(await Promise.all(loads)).toEqual(['v-a', 'v-b', 'v-c', 'v-d', 'v-e']);
  });
});
