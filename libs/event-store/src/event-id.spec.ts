import { describe, expect, test } from '@jest/globals';
import { newEventId } from './event-id.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** the 48-bit Unix-ms prefix of a UUIDv7 */
const millisOf = (id: string) => parseInt(id.slice(0, 8) + id.slice(9, 13), 16);

describe('newEventId', () => {
  test('gives UUIDv7s stamped with the clock, their prefixes never going back', () => {
    const before = Date.now();
    const ids = Array.from({ length: 1000 }, newEventId);
    const after = Date.now();
    for (const id of ids) expect(id).toMatch(V7);
    const millis = ids.map(millisOf);
    expect(millis[0]).toBeGreaterThanOrEqual(before);
    expect(millis.at(-1)).toBeLessThanOrEqual(after);
    expect(millis).toEqual([...millis].sort((a, b) => a - b));
  });

  test('ids stay unique across many refills of the random pool', () => {
    const ids = Array.from({ length: 20_000 }, newEventId);
    expect(new Set(ids).size).toBe(ids.length);
    // the random part differs too, not only the clock part
    expect(new Set(ids.map((id) => id.slice(14))).size).toBe(ids.length);
  });
});
