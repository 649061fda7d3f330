import { describe, expect, test } from '@jest/globals';
import type { OutgoingMessage } from './event-publisher.port.js';
import { MAX_PUBLISH_CHUNK_BYTES, chunksOfAtMostBytes, recordBytes } from './publish-chunks.js';

const msg = (id: number, valueBytes: number, key = `call-${id % 3}`): OutgoingMessage => ({
  topic: id % 2 === 0 ? 'call-events' : 'calls-finalized',
  key,
  value: 'v'.repeat(valueBytes),
  headers: { 'event-id': `e-${id}` },
});
const sum = (ms: readonly OutgoingMessage[]) => ms.reduce((n, m) => n + recordBytes(m), 0);

describe('recordBytes', () => {
  test('counts key, value and header bytes as UTF-8, strings and Buffers alike, plus some overhead', () => {
    const plain = recordBytes({ topic: 't', key: 'k', value: '', headers: {} });
    expect(plain).toBeGreaterThan(1);
    expect(recordBytes({ topic: 't', key: 'k', value: 'é'.repeat(100), headers: {} })).toBe(plain + 200);
    expect(recordBytes({ topic: 't', key: 'k', value: Buffer.alloc(100), headers: {} })).toBe(plain + 100);
    expect(recordBytes({ topic: 't', key: 'k', value: '', headers: { ab: 'cde' } })).toBeGreaterThanOrEqual(plain + 5);
  });
});

describe('chunksOfAtMostBytes', () => {
  test('nothing in, nothing out', () => {
    expect(chunksOfAtMostBytes([], 1_000)).toEqual([]);
  });

  test('a batch under the bound stays one chunk (one request, as before)', () => {
    const ms = Array.from({ length: 100 }, (_, i) => msg(i, 1_500));
    expect(chunksOfAtMostBytes(ms, MAX_PUBLISH_CHUNK_BYTES)).toEqual([ms]);
  });

  test('a batch of exactly the bound is one chunk; one byte more makes two', () => {
    const ms = Array.from({ length: 4 }, (_, i) => msg(i, 100));
    expect(chunksOfAtMostBytes(ms, sum(ms))).toHaveLength(1);
    expect(chunksOfAtMostBytes(ms, sum(ms) - 1)).toHaveLength(2);
  });

  test('the input order is kept, and every chunk of several messages is within the bound', () => {
    const ms = Array.from({ length: 1_000 }, (_, i) => msg(i, 500 + ((i * 7919) % 2_500)));
    const chunks = chunksOfAtMostBytes(ms, MAX_PUBLISH_CHUNK_BYTES);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.flat()).toEqual(ms);
    for (const c of chunks) expect(sum(c)).toBeLessThanOrEqual(MAX_PUBLISH_CHUNK_BYTES);
    // greedy: no chunk could have taken the next one's first message
    for (let i = 0; i + 1 < chunks.length; i++) {
      expect(sum(chunks[i]!) + recordBytes(chunks[i + 1]![0]!)).toBeGreaterThan(MAX_PUBLISH_CHUNK_BYTES);
    }
  });

  test('a message bigger than the bound goes alone, between the chunks around it', () => {
    const before = [msg(1, 10), msg(2, 10)];
    const big = msg(3, 5_000);
    const after = [msg(4, 10)];
    expect(chunksOfAtMostBytes([...before, big, ...after], 1_000)).toEqual([before, [big], after]);
    expect(chunksOfAtMostBytes([big], 1_000)).toEqual([[big]]);
    expect(chunksOfAtMostBytes([big, big], 1_000)).toEqual([[big], [big]]);
  });
});
