import { describe, expect, test } from '@jest/globals';
import { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { CallSessionWriter } from '../../call-sessions/write/call-session.writer.js';
import { PushMetrics } from '../../ingestion/push.metrics.js';
import { PushCounters } from './push-counters.js';

const duplicate = { statusCode: 200, body: { accepted: true, duplicate: true } };

describe('PushCounters at shutdown', () => {
  test('the outcomes of pushes answered while the service drains are flushed too', async () => {
    const added = new Map<string, number>();
    const db = {
      query: async (_sql: string, [outcomes, deltas]: [string[], number[]]) => {
        outcomes.forEach((o, i) => added.set(o, (added.get(o) ?? 0) + deltas[i]!));
        return [];
      },
    } as unknown as DataSource;
    const metrics = new PushMetrics(new Registry());
    const writer = { drain: async () => undefined } as unknown as CallSessionWriter;
    const counters = new PushCounters(db, metrics, writer);

    metrics.observe('status', duplicate, 0.001);
    counters.beforeApplicationShutdown(); // the HTTP server closes after this: requests in flight are answered
    metrics.observe('status', duplicate, 0.001);
    await counters.onApplicationShutdown();

    expect(added.get('duplicate')).toBe(2);
  });
});
