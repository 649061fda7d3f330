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

  test('REJECTED_PUSH_RETENTION: 30 days by default, a duration of 1m or more, off (or 0) keeps them forever', () => {
    expect(loadConfig({}).rejectedPushRetentionMs).toBe(30 * 86_400_000);
    expect(loadConfig({ REJECTED_PUSH_RETENTION: '7d' }).rejectedPushRetentionMs).toBe(7 * 86_400_000);
    expect(loadConfig({ REJECTED_PUSH_RETENTION: '90m' }).rejectedPushRetentionMs).toBe(90 * 60_000);
    for (const off of ['off', 'OFF', '0']) expect(loadConfig({ REJECTED_PUSH_RETENTION: off }).rejectedPushRetentionMs).toBeNull();
    expect(loadConfig({ REJECTED_PUSH_RETENTION: '36500d' }).rejectedPushRetentionMs).toBe(36_500 * 86_400_000);
    expect(() => loadConfig({ REJECTED_PUSH_RETENTION: '30s' })).toThrow(/REJECTED_PUSH_RETENTION=30s: at least 1m/);
    expect(() => loadConfig({ REJECTED_PUSH_RETENTION: 'a month' })).toThrow(/REJECTED_PUSH_RETENTION=a month: expected a duration such as 30d, 12h or 90m, or off/);
    expect(() => loadConfig({ REJECTED_PUSH_RETENTION: '0s' })).toThrow(/REJECTED_PUSH_RETENTION=0s: expected a duration .* or off/);
    // "now minus the retention" must stay a timestamp Postgres holds, or every run would fail
    expect(() => loadConfig({ REJECTED_PUSH_RETENTION: '740000d' })).toThrow(/REJECTED_PUSH_RETENTION=740000d: at most 36500d \(use off/);
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

describe('numbers, ports and enums: edge cases', () => {
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env);
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      throw e;
    }
    return [];
  };

  test.each(['0x10', '1e3', '0b1', '0o7', '+80', '80.0', '3000 4000', 'Infinity', '99999999999999999999'])(
    'PORT=%p: only plain decimal digits are a port',
    (raw) => {
      expect(problemsOf({ PORT: raw })).toEqual([`PORT=${raw}: expected a port number 0-65535 (plain decimal digits)`]);
    },
  );

  test('PORT and ADMIN_PORT: plain digits are read (leading zeros too), 0 lets the OS pick', () => {
    expect(loadConfig({ PORT: '08080', ADMIN_PORT: '9001' })).toMatchObject({ port: 8080, adminPort: 9001 });
    expect(loadConfig({ PORT: '0', ADMIN_PORT: '0' })).toMatchObject({ port: 0, adminPort: 0 });
    expect(problemsOf({ ADMIN_PORT: '0x2329' })).toEqual(['ADMIN_PORT=0x2329: expected a port number 0-65535 (plain decimal digits)']);
    expect(problemsOf({ PORT: '65536' })).toEqual(['PORT=65536: expected a port number 0-65535 (plain decimal digits)']);
  });

  test.each([
    ['SESSION_CACHE_SIZE', '1e3'],
    ['SESSION_CACHE_SIZE', '0x10'],
    ['KAFKA_TOPIC_PARTITIONS', '1e1'],
    ['KAFKA_TOPIC_PARTITIONS', '0x3'],
    ['PUSH_RATE_BURST', '1e2'],
  ])('%s=%p: whole numbers are plain decimal digits', (name, raw) => {
    const env: Record<string, string> = { [name]: raw };
    if (name === 'PUSH_RATE_BURST') env.PUSH_RATE_LIMIT = '10';
    expect(problemsOf(env)).toEqual([expect.stringContaining(`${name}=${raw}: expected a whole number`)]);
  });

  test('PUSH_RATE_LIMIT: plain decimal notation only (decimals allowed)', () => {
    expect(loadConfig({ PUSH_RATE_LIMIT: '0.5' }).pushRateLimit.perSecond).toBe(0.5);
    expect(loadConfig({ PUSH_RATE_LIMIT: '12' }).pushRateLimit.perSecond).toBe(12);
    // what a person writes for a half: both forms
    expect(loadConfig({ PUSH_RATE_LIMIT: '.5' }).pushRateLimit.perSecond).toBe(0.5);
    expect(loadConfig({ PUSH_RATE_LIMIT: '5.' }).pushRateLimit.perSecond).toBe(5);
    for (const off of ['off', 'OFF', 'Off', '0']) expect(loadConfig({ PUSH_RATE_LIMIT: off }).pushRateLimit.perSecond).toBeNull();
    for (const raw of ['1e3', '0x10', '+5', '.', 'Infinity', '1_000']) {
      expect(problemsOf({ PUSH_RATE_LIMIT: raw })).toEqual([expect.stringContaining(`PUSH_RATE_LIMIT=${raw}: expected pushes per second`)]);
    }
  });

  test('EMBEDDED_POSTGRES_PORT: 1-65535 (0 would break the embedded Postgres)', () => {
    expect(loadConfig({ EMBEDDED_POSTGRES_PORT: '1' }).embeddedPostgresPort).toBe(1);
    expect(loadConfig({ EMBEDDED_POSTGRES_PORT: '65535' }).embeddedPostgresPort).toBe(65535);
    for (const raw of ['0', '65536', '1e3']) {
      expect(problemsOf({ EMBEDDED_POSTGRES_PORT: raw })).toEqual([`EMBEDDED_POSTGRES_PORT=${raw}: expected a port number 1-65535 (plain decimal digits)`]);
    }
  });

  test('EMBEDDED_POSTGRES_PORT is not read when DATABASE_URL is set (a leftover value must not stop the start)', () => {
    expect(problemsOf({ DATABASE_URL: 'postgres://u@db/x', EMBEDDED_POSTGRES_PORT: '0' })).toEqual([]);
  });

  test('KAFKA_BROKERS: an IPv6 literal is refused with why (the Kafka client cannot read it)', () => {
    expect(() => loadConfig({ KAFKA_BROKERS: '[::1]:9092' })).toThrow(/IPv6 address cannot be given/);
  });

  test('KAFKA_BROKERS: the port must be 1-65535', () => {
    expect(loadConfig({ KAFKA_BROKERS: 'k1:1,k2:65535' }).kafkaBrokers).toEqual(['k1:1', 'k2:65535']);
    expect(problemsOf({ KAFKA_BROKERS: 'ok:9092,localhost:99999,zero:0' })).toEqual([
      'KAFKA_BROKERS: "localhost:99999": the port must be 1-65535',
      'KAFKA_BROKERS: "zero:0": the port must be 1-65535',
    ]);
  });

  test('ADMIN_PORT equal to PORT is refused (it would fail with EADDRINUSE); 0 for both is fine', () => {
    expect(problemsOf({ PORT: '8080', ADMIN_PORT: '8080' })).toEqual([expect.stringMatching(/^ADMIN_PORT=8080: the same port as PORT/)]);
    expect(problemsOf({ ADMIN_PORT: '3000' })).toEqual([expect.stringMatching(/^ADMIN_PORT=3000: the same port as PORT/)]);
    expect(loadConfig({ PORT: '8080', ADMIN_PORT: '8081' })).toMatchObject({ port: 8080, adminPort: 8081 });
    expect(loadConfig({ PORT: '0', ADMIN_PORT: '0' }).adminPort).toBe(0);
  });

  test('SHUTDOWN_TIMEOUT: at least 1s', () => {
    expect(loadConfig({ SHUTDOWN_TIMEOUT: '1s' }).shutdownTimeoutMs).toBe(1000);
    expect(loadConfig({ SHUTDOWN_TIMEOUT: '1000ms' }).shutdownTimeoutMs).toBe(1000);
    expect(loadConfig({}).shutdownTimeoutMs).toBe(20_000);
    for (const raw of ['1ms', '999ms', '0.5s']) {
      expect(problemsOf({ SHUTDOWN_TIMEOUT: raw })).toEqual([expect.stringMatching(new RegExp(`^SHUTDOWN_TIMEOUT=${raw.replace('.', '\\.')}: at least 1s`))]);
    }
  });

  test('LOG_LEVEL is case-insensitive, like the other enum settings', () => {
    expect(loadConfig({ LOG_LEVEL: 'INFO' }).logLevel).toBe('info');
    expect(loadConfig({ LOG_LEVEL: 'Debug' }).logLevel).toBe('debug');
    expect(loadConfig({ LOG_LEVEL: ' WARN ' }).logLevel).toBe('warn');
    expect(problemsOf({ LOG_LEVEL: 'LOUD' })).toEqual([expect.stringContaining('LOG_LEVEL=LOUD: expected one of')]);
  });

  test('every refusal lands in one ConfigError listing them all', () => {
    const problems = problemsOf({
      PORT: '1e3',
      EMBEDDED_POSTGRES_PORT: '0',
      KAFKA_BROKERS: 'localhost:99999',
      SHUTDOWN_TIMEOUT: '1ms',
      PUSH_RATE_LIMIT: '0x10',
      SESSION_CACHE_SIZE: '1e3',
    });
    for (const name of ['PORT=1e3', 'EMBEDDED_POSTGRES_PORT=0', 'KAFKA_BROKERS', 'SHUTDOWN_TIMEOUT=1ms', 'PUSH_RATE_LIMIT=0x10', 'SESSION_CACHE_SIZE=1e3']) {
      expect(problems.some((p) => p.startsWith(name))).toBe(true);
    }
    expect(problems).toHaveLength(6);
    expect(problemsOf({ PORT: '4000', ADMIN_PORT: '4000', LOG_LEVEL: 'nope' })).toHaveLength(2);
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
    [{ PUSH_AUTH_MODE: 'audit', PUSH_PATH_TOKEN: 'a'.repeat(101) }, 'PUSH_PATH_TOKEN: use 16 to 100 characters'],
    [{ PUSH_RATE_LIMIT: '-3' }, 'PUSH_RATE_LIMIT'],
    [{ PUSH_RATE_LIMIT: '10', PUSH_RATE_BURST: '0' }, 'PUSH_RATE_BURST'],
    [{ PUSH_RATE_BURST: '5' }, 'PUSH_RATE_BURST is set but PUSH_RATE_LIMIT is not'],
    [{ PUSH_RATE_LIMIT: 'off', PUSH_RATE_BURST: '5' }, 'PUSH_RATE_BURST is set but PUSH_RATE_LIMIT is not'],
    [{ HTTP_REQUEST_TIMEOUT: 'never' }, 'HTTP_REQUEST_TIMEOUT'],
    [{ HTTP_REQUEST_TIMEOUT: '1ms' }, 'HTTP_REQUEST_TIMEOUT=1ms: at least 1s'],
    [{ CDR_OVERDUE_AFTER: '9999999d' }, 'CDR_OVERDUE_AFTER=9999999d: at most 36500d'],
    [{ ADMIN_TOKEN: 'fifteen-chars!!' }, 'ADMIN_TOKEN: use at least 16 characters'],
    [{ ADMIN_TOKEN: 'abcd efgh ijkl mnop' }, 'ADMIN_TOKEN: use printable ASCII characters without spaces'],
    [{ ADMIN_TOKEN: 'token-with-an-ümlaut' }, 'ADMIN_TOKEN: use printable ASCII characters without spaces'],
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
    ['30d', 2_592_000_000],
  ])('%s → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  test.each(['', 'm', '-1s', '0s', '5 days', '0.4ms'])('rejects %p', (text) => expect(parseDuration(text)).toBeNull());
});
