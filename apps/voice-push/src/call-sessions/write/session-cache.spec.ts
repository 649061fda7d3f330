import { describe, expect, test } from '@jest/globals';
import { SessionCache } from './session-cache.js';

const keys = (cache: SessionCache<number>, candidates: string[]) => candidates.filter((key) => cache.get(key) !== undefined);

describe('SessionCache', () => {
  test('holds at most its capacity, evicting the least recently used', () => {
    const cache = new SessionCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 1);
    cache.get('a'); // b is now the least recently used
    cache.set('c', 1);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(1);
    expect(cache.size).toBe(2);
  });

  test('with weights, heavy entries are evicted before the count is reached', () => {
    // the value is its own weight: three calls of 256 pushes cannot stay where 10 pushes may
    const cache = new SessionCache<number>(100, { weigh: (pushes) => pushes, maxWeight: 10 });
    cache.set('light-1', 3);
    cache.set('light-2', 3);
    cache.set('heavy', 6); // 12 > 10: light-1, the oldest, goes
    expect(keys(cache, ['light-1', 'light-2', 'heavy'])).toEqual(['light-2', 'heavy']);
  });

  test('an entry heavier than the whole bound is not kept, and the others stay', () => {
    const cache = new SessionCache<number>(100, { weigh: (pushes) => pushes, maxWeight: 10 });
    cache.set('a', 4);
    cache.set('huge', 256);
    expect(keys(cache, ['a', 'huge'])).toEqual(['a']);
    cache.set('a', 256); // a known key grown past the bound: dropped, not kept at its old weight
    expect(cache.size).toBe(0);
    cache.set('b', 10);
    expect(cache.get('b')).toBe(10);
  });

  test('replacing, deleting and clearing keep the weight right', () => {
    const cache = new SessionCache<number>(100, { weigh: (pushes) => pushes, maxWeight: 10 });
    cache.set('a', 5);
    cache.set('a', 6); // replaced, not added: 6, not 11
    cache.set('b', 4);
    expect(keys(cache, ['a', 'b'])).toEqual(['a', 'b']);
    cache.delete('a');
    cache.set('c', 6); // 4 + 6
    expect(keys(cache, ['b', 'c'])).toEqual(['b', 'c']);
    cache.clear();
    cache.set('d', 10);
    expect(cache.get('d')).toBe(10);
  });

  test('capacity 0 keeps nothing', () => {
    const cache = new SessionCache<number>(0);
    cache.set('a', 1);
    expect(cache.get('a')).toBeUndefined();
  });
});
