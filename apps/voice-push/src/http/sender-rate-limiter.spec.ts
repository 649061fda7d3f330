import { describe, expect, test } from '@jest/globals';
import { MAX_TRACKED_SENDERS, senderKey, SenderRateLimiter } from './sender-rate-limiter.js';

describe('SenderRateLimiter (token bucket per sender)', () => {
  test('burst, then refused with Retry-After, refilled at the rate', () => {
    let now = 0;
    const limiter = new SenderRateLimiter(2, 3, () => now);
    expect([1, 2, 3].map(() => limiter.take('a').allowed)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.take('b').allowed).toBe(true); // another sender has its own bucket
    now += 500; // one token back
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    now += 10_000; // never more than the burst saved up
    expect([1, 2, 3, 4].map(() => limiter.take('a').allowed)).toEqual([true, true, true, false]);
  });

  test('a slow rate answers a longer Retry-After', () => {
    const limiter = new SenderRateLimiter(0.1, 1, () => 0);
    limiter.take('a');
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 10 });
  });

  test('memory is bounded however many senders', () => {
    let now = 0;
    const limiter = new SenderRateLimiter(1, 1, () => now);
    for (let i = 0; i < MAX_TRACKED_SENDERS * 3; i++) {
      limiter.take(`s${i}`);
      now += 0.01;
    }
    expect(limiter.trackedSenders).toBeLessThanOrEqual(MAX_TRACKED_SENDERS);
  });
});

describe('senderKey', () => {
  test.each([
    ['10.0.0.1', '10.0.0.1'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
    [undefined, 'unknown'],
    // an IPv4 client however a proxy writes it is that client, not the /64 0:0:0:0 every such client shared
    ['::ffff:a00:1', '10.0.0.1'],
    ['::FFFF:A00:2', '10.0.0.2'],
    ['0:0:0:0:0:ffff:10.0.0.3', '10.0.0.3'],
    ['::ffff:0a00:0004', '10.0.0.4'],
    // a proxy's ip:port is the ip; what is still not an address is one sender, not one per variant
    ['1.2.3.4:1001', '1.2.3.4'],
    ['[2001:db8:1:2::9]:443', '2001:db8:1:2::/64'],
    ['[::ffff:10.0.0.5]:80', '10.0.0.5'],
    ['junk', 'not an IP address'],
    ['junk2', 'not an IP address'],
  ])('%s → %s', (address, key) => expect(senderKey(address)).toBe(key));
});
