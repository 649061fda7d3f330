import { describe, expect, jest, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Registry } from 'prom-client';
import { loadConfig } from '../config/app-config.js';
import { plainAddress } from './client-address.js';
import { IpAllowlist } from './ip-allowlist.js';
import { PushAccessPolicy } from './push-access.policy.js';
import { PushAuthMetrics } from './push-auth.metrics.js';
import { authCodeMatches, pushAuthCode, secretEquals } from './push-signature.js';

const sha256hex = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

describe('upstream signature', () => {
  const raw = Buffer.from('{"accountId":"a","callId":"c"}');
  test('authCode = hex SHA-256(timestamp + hex SHA-256(raw body) + token)', () => {
    expect(pushAuthCode('1700000000', raw, 'tok')).toBe(sha256hex(`1700000000${sha256hex(raw)}tok`));
  });
  test('matches its own code, any hex case; not another body, timestamp, token or a malformed code', () => {
    const code = pushAuthCode('1700000000', raw, 'tok');
    expect(authCodeMatches(code, '1700000000', raw, 'tok')).toBe(true);
    expect(authCodeMatches(code.toUpperCase(), '1700000000', raw, 'tok')).toBe(true);
    expect(authCodeMatches(code, '1700000001', raw, 'tok')).toBe(false);
    expect(authCodeMatches(code, '1700000000', Buffer.from(`${raw.toString()} `), 'tok')).toBe(false);
    expect(authCodeMatches(code, '1700000000', raw, 'tok2')).toBe(false);
    for (const bad of ['', code.slice(1), `${code}0`, code.replace(/.$/, 'g')]) expect(authCodeMatches(bad, '1700000000', raw, 'tok')).toBe(false);
  });
  test('secretEquals compares any lengths', () => {
    expect(secretEquals('abc', 'abc')).toBe(true);
    expect(secretEquals('abc', 'abcd')).toBe(false);
    expect(secretEquals('', 'x')).toBe(false);
  });
});

describe('IP allow-list', () => {
  const list = new IpAllowlist(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '::1']);
  test.each([
    ['10.1.2.3', true],
    ['::ffff:10.1.2.3', true],
    ['11.0.0.1', false],
    ['192.168.1.7', true],
    ['192.168.1.8', false],
    ['2001:db8:1::5', true],
    ['2001:db9::1', false],
    ['::1', true],
    ['127.0.0.1', false],
    ['not-an-ip', false],
    // a proxy's ip:port is its ip, as for the rate limit
    ['10.0.0.1:443', true],
    ['[::ffff:10.0.0.1]:80', true],
    ['[2001:db8::1]:443', true],
    ['11.0.0.1:443', false],
  ])('%s → %p', (address, allowed) => expect(list.allows(address)).toBe(allowed));
  test('undefined is not allowed', () => expect(list.allows(undefined)).toBe(false));
  test('plainAddress unwraps IPv4-mapped IPv6 only, in any of its forms', () => {
    expect(plainAddress('::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(plainAddress('::ffff:a00:1')).toBe('10.0.0.1');
    expect(plainAddress('0:0:0:0:0:FFFF:10.0.0.1')).toBe('10.0.0.1');
    expect(plainAddress('::1')).toBe('::1');
    expect(plainAddress('::fffe:a00:1')).toBe('::fffe:a00:1');
    expect(plainAddress('1:0:0:0:0:ffff:a00:1')).toBe('1:0:0:0:0:ffff:a00:1');
    expect(plainAddress('not an address')).toBe('not an address');
  });
});

describe('PushAccessPolicy: the log of a burst of failures', () => {
  test("the first failure of a reason is logged at once, and the burst's count at shutdown, with no later failure needed (the window's timer: repeated-warning.spec)", () => {
    const warned: string[] = [];
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warned.push(String(message)));
    try {
      const config = loadConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/x', PUSH_AUTH_MODE: 'enforce', PUSH_IP_ALLOWLIST: '10.0.0.0/8' });
      const policy = new PushAccessPolicy(config, new PushAuthMetrics(new Registry()));
      for (let i = 1; i <= 5; i++) expect(policy.admit(`192.0.2.${i}`)?.statusCode).toBe(403);
      expect(warned).toEqual([expect.stringMatching(/ip_not_allowed: ip=192\.0\.2\.1$/)]);
      policy.onApplicationShutdown();
      expect(warned).toHaveLength(2);
      expect(warned[1]).toMatch(/ip_not_allowed: 4 more in the last 10 s; by cause: ip=192\.0\.2\.2 ×1/);
    } finally {
      warn.mockRestore();
    }
  });
});
