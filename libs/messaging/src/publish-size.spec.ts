import { describe, expect, test } from '@jest/globals';
import type { OutgoingMessage } from './event-publisher.port.js';
import { MAX_PUBLISH_BYTES, fitWithinBytes, recordBytes } from './publish-size.js';

const msg = (id: number, valueBytes: number): OutgoingMessage => ({
  topic: 'call-events',
  key: `call-${id % 3}`,
  value: 'v'.repeat(valueBytes),
  headers: { 'event-id': `e-${id}` },
});

describe('recordBytes', () => {
  test('counts key, value and header bytes as UTF-8, strings and Buffers alike, plus some overhead', () => {
    const plain = recordBytes({ topic: 't', key: 'k', value: '', headers: {} });
    expect(plain).toBeGreaterThan(1);
    expect(recordBytes({ topic: 't', key: 'k', value: 'é'.repeat(100), headers: {} })).toBe(plain + 200);
    expect(recordBytes({ topic: 't', key: 'k', value: Buffer.alloc(100), headers: {} })).toBe(plain + 100);
    expect(recordBytes({ topic: 't', key: 'k', value: '', headers: { ab: 'cde' } })).toBeGreaterThanOrEqual(plain + 5);
  });
});

describe('fitWithinBytes', () => {
  test('nothing in: none', () => {
    expect(fitWithinBytes([], 1_000).count).toBe(0);
  });

  test('a relay batch of 500 typical envelopes (~1 KB) fits whole', () => {
    expect(fitWithinBytes(Array.from({ length: 500 }, (_, i) => msg(i, 900)), MAX_PUBLISH_BYTES).count).toBe(500);
  });

  test('exactly at the bound fits; one byte over does not', () => {
    const ms = [msg(1, 100), msg(2, 100), msg(3, 100)];
    const two = recordBytes(ms[0]!) + recordBytes(ms[1]!);
    expect(fitWithinBytes(ms, two).count).toBe(2);
    expect(fitWithinBytes(ms, two - 1).count).toBe(1);
  });

  test('1,000 envelopes of 1.5 KB: the longest prefix within the bound', () => {
    const ms = Array.from({ length: 1_000 }, (_, i) => msg(i, 1_500));
    const { count: n, bytes: fitted } = fitWithinBytes(ms, MAX_PUBLISH_BYTES);
    const bytes = (k: number) => ms.slice(0, k).reduce((s, m) => s + recordBytes(m), 0);
    expect(fitted).toBe(bytes(n));
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(1_000);
    expect(bytes(n)).toBeLessThanOrEqual(MAX_PUBLISH_BYTES);
    expect(bytes(n + 1)).toBeGreaterThan(MAX_PUBLISH_BYTES);
  });

  test('a first message bigger than the bound still goes, alone', () => {
    expect(fitWithinBytes([msg(1, 2_000), msg(2, 10)], 1_000).count).toBe(1);
  });
});
