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
      logLevel: 'info',
    });
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

describe('parseDuration', () => {
  test.each([
    ['40m', 2_400_000],
    ['2s', 2000],
    ['500ms', 500],
    ['1h', 3_600_000],
    ['90', 90_000],
  ])('%s → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  test.each(['', 'm', '-1s', '0s', '5 days'])('rejects %p', (text) => expect(parseDuration(text)).toBeNull());
});
