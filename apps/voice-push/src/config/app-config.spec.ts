import { describe, expect, test } from '@jest/globals';
import { ConfigError, loadConfig } from './app-config.js';
import { parseDuration } from './duration.js';

describe('loadConfig', () => {
  test('defaults match the contract', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      databaseUrl: null,
      kafkaBrokers: [],
      adminToken: null,
      cdrOverdueAfterMs: 40 * 60_000,
      sessionCacheSize: 20_000,
      logLevel: 'info',
    });
  });

  test('SESSION_CACHE_SIZE: a whole number, 0 allowed (no cache)', () => {
    expect(loadConfig({ SESSION_CACHE_SIZE: '500' }).sessionCacheSize).toBe(500);
    expect(loadConfig({ SESSION_CACHE_SIZE: '0' }).sessionCacheSize).toBe(0);
    for (const bad of ['-1', '1.5', 'many']) {
      expect(() => loadConfig({ SESSION_CACHE_SIZE: bad })).toThrow(/SESSION_CACHE_SIZE/);
    }
  });

  test('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://u:p@db:5432/voice',
      KAFKA_BROKERS: 'k1:9092, k2:9092',
      ADMIN_TOKEN: 'a-very-long-admin-token',
      CDR_OVERDUE_AFTER: '2s',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      port: 8080,
      databaseUrl: 'postgres://u:p@db:5432/voice',
      kafkaBrokers: ['k1:9092', 'k2:9092'],
      adminToken: 'a-very-long-admin-token',
      cdrOverdueAfterMs: 2000,
      logLevel: 'debug',
    });
  });

  test('lists every bad value at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', CDR_OVERDUE_AFTER: 'soon', LOG_LEVEL: 'loud', KAFKA_BROKERS: 'nohost', DATABASE_URL: 'mysql://x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'CDR_OVERDUE_AFTER', 'LOG_LEVEL', 'KAFKA_BROKERS', 'DATABASE_URL']) {
      expect(problems).toContain(name);
    }
  });
});

describe('push hardening variables', () => {
  test('off by default: no auth, no rate limit, 10 s request timeout', () => {
    const config = loadConfig({});
    expect(config.pushAuth).toMatchObject({ mode: 'off', defaultToken: null, maxSkewMs: 300_000, ipAllowlist: null, pathToken: null });
    expect(config.pushAuth.accountTokens.size).toBe(0);
    expect(config.pushRateLimit.perSecond).toBeNull();
    expect(config.httpRequestTimeoutMs).toBe(10_000);
    expect(config.trustedProxies).toBeNull();
  });

  test('TRUSTED_PROXIES: addresses and CIDR blocks', () => {
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1,fd00::/8' }).trustedProxies).toEqual(['10.0.0.0/8', '127.0.0.1', 'fd00::/8']);
  });

  test('reads tokens, allow-list, path token, skew, rate limit', () => {
    const config = loadConfig({
      PUSH_AUTH_MODE: 'enforce',
      PUSH_AUTH_TOKENS: 'acc1:tok-1, acc2:tok:2 ,default-tok',
      PUSH_AUTH_MAX_SKEW: '60s',
      PUSH_IP_ALLOWLIST: '10.0.0.0/8, 127.0.0.1, ::1, fd00::/8',
      PUSH_PATH_TOKEN: 'abcdefghijklmnop-_.~',
      PUSH_RATE_LIMIT: '2.5',
      HTTP_REQUEST_TIMEOUT: '2s',
    });
    expect(config.pushAuth.mode).toBe('enforce');
    expect(config.pushAuth.defaultToken).toBe('default-tok');
    expect([...config.pushAuth.accountTokens]).toEqual([
      ['acc1', 'tok-1'],
      ['acc2', 'tok:2'],
    ]);
    expect(config.pushAuth.maxSkewMs).toBe(60_000);
    expect(config.pushAuth.ipAllowlist).toEqual(['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8']);
    expect(config.pushRateLimit).toEqual({ perSecond: 2.5, burst: 3 });
    expect(config.httpRequestTimeoutMs).toBe(2000);
  });

  test.each([
    [{ PUSH_AUTH_MODE: 'strict' }, 'PUSH_AUTH_MODE'],
    [{ PUSH_AUTH_MODE: 'enforce' }, 'PUSH_AUTH_MODE=enforce needs'],
    [{ PUSH_AUTH_TOKENS: 'a:b' }, 'PUSH_AUTH_MODE=off'],
    [{ PUSH_AUTH_MODE: 'audit', PUSH_AUTH_TOKENS: 'a:x,a:y' }, 'more than one token'],
    [{ PUSH_AUTH_MODE: 'audit', PUSH_AUTH_TOKENS: 'x,y' }, 'more than one default'],
    [{ PUSH_AUTH_MODE: 'audit', PUSH_IP_ALLOWLIST: '10.0.0.0/33' }, 'PUSH_IP_ALLOWLIST'],
    [{ PUSH_AUTH_MODE: 'audit', PUSH_IP_ALLOWLIST: 'example.com' }, 'PUSH_IP_ALLOWLIST'],
    [{ PUSH_AUTH_MODE: 'audit', PUSH_PATH_TOKEN: 'short' }, 'PUSH_PATH_TOKEN'],
    [{ PUSH_AUTH_MODE: 'audit', PUSH_PATH_TOKEN: 'a/b/c/d/e/f/g/h/i/j' }, 'PUSH_PATH_TOKEN'],
    [{ PUSH_RATE_LIMIT: '-3' }, 'PUSH_RATE_LIMIT'],
    [{ PUSH_RATE_LIMIT: '10', PUSH_RATE_BURST: '0' }, 'PUSH_RATE_BURST'],
    [{ HTTP_REQUEST_TIMEOUT: 'never' }, 'HTTP_REQUEST_TIMEOUT'],
    [{ ADMIN_TOKEN: 'fifteen-chars!!' }, 'ADMIN_TOKEN: use at least 16 characters'],
    [{ SHUTDOWN_TIMEOUT: '600h' }, 'SHUTDOWN_TIMEOUT=600h: at most 596h'],
    [{ SHUTDOWN_TIMEOUT: '0.4ms' }, 'SHUTDOWN_TIMEOUT'],
    [{ TRUSTED_PROXIES: 'true' }, 'TRUSTED_PROXIES: "true" is not an IP address'],
    [{ TRUSTED_PROXIES: '10.0.0.0/40' }, 'TRUSTED_PROXIES'],
    [{ TRUSTED_PROXIES: ' , ' }, 'TRUSTED_PROXIES: no address given'],
  ])('refuses %p', (env, expected) => {
    expect(() => loadConfig(env)).toThrow(expected);
  });

  test('a configuration error never shows a token', () => {
    let message = '';
    try {
      loadConfig({ PUSH_AUTH_MODE: 'audit', PUSH_AUTH_TOKENS: 'acc1:secret-one,acc1:secret-two, has space' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('PUSH_AUTH_TOKENS');
    expect(message).not.toContain('secret');
  });
});

describe('parseDuration', () => {
  test.each([
    ['40m', 2_400_000],
    ['2s', 2000],
    ['500ms', 500],
    ['1h', 3_600_000],
    ['90', 90_000],
  ])('%s → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  test.each(['', 'm', '-1s', '0s', '5 days', '0.4ms'])('rejects %p', (text) => expect(parseDuration(text)).toBeNull());
});
