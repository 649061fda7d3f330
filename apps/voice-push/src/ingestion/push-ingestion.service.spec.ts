import { describe, expect, test } from '@jest/globals';
import type { CommandBus } from '@nestjs/cqrs';
import { Registry } from 'prom-client';
import { WrongExpectedVersionError } from '#event-store';
import { PushIngestionService } from './push-ingestion.service.js';
import { PushMetrics } from './push.metrics.js';
import type { RejectedPushStore } from './rejected-push.store.js';

const push = Buffer.from(JSON.stringify({ accountId: 'acc', callId: 'c-1', eventType: 1, eventTime: '1700000000' }));

describe('PushIngestionService: a push its call writer could not store', () => {
  test('other instances appending first on every try: 503 saying so (contention, not a fault), counted unavailable', async () => {
    const commands = { execute: async () => Promise.reject(new WrongExpectedVersionError('c-1', 3)) } as unknown as CommandBus;
    const metrics = new PushMetrics(new Registry());
    const ingestion = new PushIngestionService(commands, {} as RejectedPushStore, metrics);
    const answer = await ingestion.ingest('status', { contentType: 'application/json' }, push);
    expect(answer).toEqual({ statusCode: 503, body: { error: 'UNAVAILABLE', message: 'the call is being written by another instance; retry later' } });
    expect(metrics.counts.get('unavailable')).toBe(1);
  });

  test('any other failure: 503, the push could not be processed', async () => {
    const commands = { execute: async () => Promise.reject(new Error('a bug')) } as unknown as CommandBus;
    const ingestion = new PushIngestionService(commands, {} as RejectedPushStore, new PushMetrics(new Registry()));
    expect((await ingestion.ingest('status', { contentType: 'application/json' }, push)).body).toEqual({
      error: 'UNAVAILABLE',
      message: 'the push could not be processed; retry later',
    });
  });
});
