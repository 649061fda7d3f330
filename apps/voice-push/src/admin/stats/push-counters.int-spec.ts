import { describe, expect, test } from '@jest/globals';
import { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { useTempDatabase } from '../../../../../libs/event-store/src/testing/use-temp-database.js';
import type { CallSessionWriter } from '../../call-sessions/write/call-session.writer.js';
import { appMigrations } from '../../database/database.module.js';
import { PushMetrics } from '../../ingestion/push.metrics.js';
import { PushCounters } from './push-counters.js';

const duplicate = { statusCode: 200, body: { accepted: true, duplicate: true } };
const writer = { drain: async () => undefined } as unknown as CallSessionWriter;

describe('PushCounters: a flush counts once (real Postgres)', () => {
  const { ds } = useTempDatabase(appMigrations, { poolSize: 2 });

  /** The database, but the answer to the next flush is lost after Postgres committed it. */
  function losingOneAnswer(): DataSource {
    let lose = true;
    return {
      query: async (sql: string, params?: unknown[]) => {
        const rows = await ds().query(sql, params);
        if (lose && sql.includes('push_counters')) {
          lose = false;
          throw new Error('Connection terminated unexpectedly');
        }
        return rows;
      },
    } as unknown as DataSource;
  }

  async function persisted(): Promise<number> {
    const [row] = (await ds().query(`SELECT count::int AS n FROM push_counters WHERE outcome = 'duplicate'`)) as { n: number }[];
    return row?.n ?? 0;
  }

  test('one whose commit went through but whose answer was lost is sent again without adding twice; what came since goes with it', async () => {
    await ds().query(`DELETE FROM push_counters`);
    const metrics = new PushMetrics(new Registry());
    const counters = new PushCounters(losingOneAnswer(), metrics, writer);
    for (let i = 0; i < 3; i++) metrics.observe('status', duplicate, 0.001);

    await expect(counters.flush()).rejects.toThrow('Connection terminated');
    expect(await persisted()).toBe(3); // committed all the same

    metrics.observe('status', duplicate, 0.001);
    await counters.flush();
    expect(await persisted()).toBe(4);
    await counters.flush();
    expect(await persisted()).toBe(4);
  });

  test('two instances add up, each flush of each once', async () => {
    await ds().query(`DELETE FROM push_counters`);
    const [a, b] = [new PushMetrics(new Registry()), new PushMetrics(new Registry())];
    const counters = [new PushCounters(ds(), a, writer), new PushCounters(ds(), b, writer)];
    a.observe('status', duplicate, 0.001);
    b.observe('cdr', duplicate, 0.001);
    b.observe('cdr', duplicate, 0.001);
    await Promise.all(counters.map((c) => c.flush()));
    a.observe('status', duplicate, 0.001);
    await Promise.all(counters.map((c) => c.flush()));
    expect(await persisted()).toBe(4);
  });
});
