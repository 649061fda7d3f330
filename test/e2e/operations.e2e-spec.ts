// Operations (contract §6): liveness, readiness through a Postgres outage, Prometheus metrics,
// the OpenAPI page.
import { describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  IDLE_IN_TRANSACTION_TIMEOUT_MS,
  SERVER_SIDE_KEEPALIVE,
  STATEMENT_TIMEOUT_MS,
} from '../../apps/voice-push/src/database/database.module.js';
import { INVALID_PUSH_EXAMPLES } from '../../apps/voice-push/src/openapi/push-examples.js';
import { metricValue } from '../support/prometheus-text.js';
import { schemaMismatches } from '../support/schema-mismatches.js';
import { useTestService, type TestService } from '../support/test-service.js';

const SAMPLES = resolve(process.cwd(), '../shared/spec/samples');
const sample = (name: string) => JSON.parse(readFileSync(resolve(SAMPLES, name), 'utf8')) as Record<string, unknown>;
const uniqueCallId = () => `ops-${randomUUID()}`;

async function metricsText(service: TestService): Promise<{ status: number; text: string; type: string | null }> {
  const response = await fetch(`${service.url}/metrics`);
  return { status: response.status, text: await response.text(), type: response.headers.get('content-type') };
}

async function waitFor<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
    last = await probe();
  }
  return last;
}

describe('operations (contract §6)', () => {
  const service = useTestService();

  test('GET /health/live answers 200', async () => {
    expect(await service().get('/health/live')).toEqual({
      status: 200,
      body: { status: 'ok', info: {}, error: {}, details: {} },
    });
  });

  test('GET /health/ready: 200 with Postgres up, 503 while it is cut, 200 again after', async () => {
    const up = await service().get('/health/ready');
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ status: 'ok', info: { postgres: { status: 'up' } }, error: {} });
    expect(up.body.details.kafka).toBeUndefined(); // no KAFKA_BROKERS: not checked

    service().postgres.cut();
    try {
      const down = await service().get('/health/ready');
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ status: 'error', error: { postgres: { status: 'down' } } });
      expect(typeof down.body.error.postgres.message).toBe('string');
      // liveness does not depend on Postgres
      expect((await service().get('/health/live')).status).toBe(200);
      // /metrics still answers: the database gauges are left out, the in-memory ones are there
      const metrics = await metricsText(service());
      expect(metrics.status).toBe(200);
      expect(metrics.text).toContain('# TYPE voice_push_pushes_total counter');
      expect(metricValue(metrics.text, 'voice_push_relay_lag_events')).toBeNaN();
      expect(metricValue(metrics.text, 'voice_push_sessions', { status: 'OPEN' })).toBeUndefined();
      // counted, and seen from the next scrape on
      const next = await metricsText(service());
      expect(metricValue(next.text, 'voice_push_metrics_query_failures_total', { query: 'sessions' })).toBeGreaterThan(0);
    } finally {
      service().postgres.restore();
    }
    await waitFor('ready again', () => service().get('/health/ready'), (r) => r.status === 200);
  }, 30_000);

  test('GET /metrics: push counters, sessions, rejected pushes, outbox lag', async () => {
    const [a, b] = [uniqueCallId(), uniqueCallId()];
    const status = sample('status-spec-example.json');
    expect((await service().post('/v1/push/status', { ...status, callId: a })).body.duplicate).toBe(false);
    expect((await service().post('/v1/push/status', { ...status, callId: b })).body.duplicate).toBe(false);
    expect((await service().post('/v1/push/status', { ...status, callId: a })).body.duplicate).toBe(true);
    expect((await service().post('/v1/push/status', '{"callId": ')).status).toBe(400);
    expect((await service().post('/v1/push/cdr', { ...sample('cdr-spec-example.json'), callId: b })).status).toBe(200);

    const { status: code, text, type } = await metricsText(service());
    expect(code).toBe(200);
    expect(type).toMatch(/^text\/plain/);
    const value = (name: string, labels: Record<string, string> = {}) => metricValue(text, name, labels);

    expect(value('voice_push_pushes_total', { kind: 'status', outcome: 'accepted' })).toBe(2);
    expect(value('voice_push_pushes_total', { kind: 'status', outcome: 'duplicate' })).toBe(1);
    expect(value('voice_push_pushes_total', { kind: 'status', outcome: 'rejected' })).toBe(1);
    expect(value('voice_push_pushes_total', { kind: 'cdr', outcome: 'accepted' })).toBe(1);
    expect(value('voice_push_ack_seconds_count', { kind: 'status' })).toBe(4);
    // group commits: the three pushes that wrote events (not the duplicate, not the rejected one)
    expect(value('voice_push_commit_pushes_sum')).toBe(3);
    expect(value('voice_push_commit_seconds_count')).toBe(value('voice_push_commit_pushes_count'));
    expect(value('voice_push_commit_seconds_count')).toBeGreaterThanOrEqual(1);

    expect(value('voice_push_sessions', { status: 'OPEN' })).toBe(1);
    expect(value('voice_push_sessions', { status: 'FINALIZED' })).toBe(1);
    expect(value('voice_push_sessions', { status: 'FINALIZED_WITHOUT_CDR' })).toBe(0);
    expect(value('voice_push_sessions_by_reconciliation', { reconciliation_status: 'PENDING' })).toBe(1);
    const reconciled = ['MATCHED', 'WARNINGS', 'DISCREPANCY', 'CDR_ONLY'].map(
      (s) => value('voice_push_sessions_by_reconciliation', { reconciliation_status: s }) ?? NaN,
    );
    expect(reconciled.reduce((x, y) => x + y, 0)).toBe(1);
    expect(value('voice_push_sessions_overdue')).toBe(0);

    expect(value('voice_push_rejected_pushes', { kind: 'status' })).toBe(1);
    expect(value('voice_push_rejected_pushes', { kind: 'cdr' })).toBe(0);

    // no KAFKA_BROKERS: every event stays in the log (and a finalised view in the outbox), so both lags grow
    const [{ n: waiting }] = await service().db.query(`SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM outbox) AS n`);
    expect(Number(waiting)).toBeGreaterThan(0);
    expect(value('voice_push_relay_lag_events')).toBe(Number(waiting));
    expect(value('voice_push_processing_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(value('voice_push_processing_lag_seconds')).toBeLessThan(60);
    await service().db.query(`UPDATE events SET recorded_at = now() - interval '90 seconds' WHERE position = (SELECT min(position) FROM events)`);
    expect(metricValue((await metricsText(service())).text, 'voice_push_processing_lag_seconds')).toBeGreaterThanOrEqual(90);
  });

  test('a database gauge that cannot answer in time is cancelled in Postgres, not left running on a pooled connection', async () => {
    // the sessions gauges read the kept counts: a lock held elsewhere makes that read wait
    const before = metricValue((await metricsText(service())).text, 'voice_push_metrics_query_failures_total', { query: 'sessions' }) ?? 0;
    const blocker = service().db.createQueryRunner();
    await blocker.startTransaction();
    try {
      await blocker.query('LOCK TABLE call_counts IN ACCESS EXCLUSIVE MODE');
      const scrape = await metricsText(service());
      expect(scrape.status).toBe(200);
      expect(metricValue(scrape.text, 'voice_push_sessions', { status: 'OPEN' })).toBeUndefined();
      expect(metricValue(scrape.text, 'voice_push_relay_lag_events')).toBeGreaterThanOrEqual(0); // the other gauges answered
      const next = await metricsText(service());
      expect(metricValue(next.text, 'voice_push_metrics_query_failures_total', { query: 'sessions' })).toBeGreaterThan(before);
      // Postgres gave the count up itself: no backend of the service still waits for the lock
      // (a count given up only by the client would wait on, on a connection the pool hands to a push)
      // (the counts' fold, every 10 s, may be waiting on the lock too, for its own 1.5 s: not a gauge)
      const waiting = await service().db.query(
        `SELECT pid FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
            AND query NOT LIKE '%DELETE FROM call_count_changes%'`,
      );
      expect(waiting).toEqual([]);
    } finally {
      await blocker.rollbackTransaction();
      await blocker.release();
    }
    // and the pool is clean: the gauges answer again
    const after = await metricsText(service());
    expect(metricValue(after.text, 'voice_push_sessions', { status: 'OPEN' })).toBeGreaterThanOrEqual(0);
  }, 30_000);

  test('a push whose write Postgres cancels at the statement timeout is answered 503, and stored on the retry', async () => {
    const callId = uniqueCallId();
    const status = { ...sample('status-spec-example.json'), callId };
    const blocker = service().db.createQueryRunner();
    await blocker.startTransaction();
    let answer: { status: number; body: any };
    try {
      await blocker.query('LOCK TABLE events IN ACCESS EXCLUSIVE MODE'); // the append waits, then is cancelled
      answer = await service().post('/v1/push/status', status);
    } finally {
      await blocker.rollbackTransaction();
      await blocker.release();
    }
    // storage could not take the write: the contract's 503, so the sender's schedule retries it
    expect(answer.status).toBe(503);
    expect(answer.body.error).toBe('UNAVAILABLE');
    const retry = await service().post('/v1/push/status', status);
    expect(retry).toEqual({ status: 200, body: { accepted: true, duplicate: false, callId } });
  }, 30_000);

  test("the service's Postgres sessions carry its limits: statements 1.5 s, idle in a transaction 30 s, and a client gone silent ended within ~60 s", async () => {
    const pool = service().app.get<DataSource>(getDataSourceToken());
    const rows = (await pool.query(
      `SELECT name, setting FROM pg_settings
        WHERE name IN ('statement_timeout', 'idle_in_transaction_session_timeout',
                       'tcp_keepalives_idle', 'tcp_keepalives_interval', 'tcp_keepalives_count', 'tcp_user_timeout')`,
    )) as { name: string; setting: string }[];
    const settings = Object.fromEntries(rows.map((r) => [r.name, Number(r.setting)]));
    // in their base units (ms, s, s, s, probes, ms); without the options the keep-alive ones are
    // the OS's (7,200 s, 75 s, 9, 0 here): over two hours before a lost client's session ends
    expect(settings).toEqual({
      statement_timeout: STATEMENT_TIMEOUT_MS,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
      ...SERVER_SIDE_KEEPALIVE,
    });
    const silentForAtMostS =
      SERVER_SIDE_KEEPALIVE.tcp_keepalives_idle + SERVER_SIDE_KEEPALIVE.tcp_keepalives_count * SERVER_SIDE_KEEPALIVE.tcp_keepalives_interval;
    expect(silentForAtMostS).toBeLessThanOrEqual(60);
  });

  test('the queries answer what the OpenAPI document says: the call view field by field, the list, and the refusals', async () => {
    const { body: doc } = await service().get('/docs-json');
    const schemaOf = (path: string, status: number) => doc.paths[path].get.responses[String(status)].content['application/json'].schema;
    // an answered call and an AXB privacy call finalised by their CDRs, and an open one: every part of the view filled somewhere
    for (const name of ['status-spec-example.json', 'status-two-way-call.json', 'cdr-spec-example.json', 'cdr-axb-verify.json', 'cdr-sms.json']) {
      const body = JSON.parse(readFileSync(resolve(process.cwd(), '../shared/spec/samples', name), 'utf8'));
      expect((await service().post(`/v1/push/${name.startsWith('cdr') ? 'cdr' : 'status'}`, { ...body, callId: `${body.callId}-doc` })).status).toBe(200);
    }
    const list = await service().get('/v1/calls?limit=500');
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBeGreaterThanOrEqual(2);
    expect(schemaMismatches(list.body, schemaOf('/v1/calls', 200))).toEqual([]);
    for (const view of list.body.items) {
      const one = await service().get(`/v1/calls/${encodeURIComponent(view.callId)}`);
      expect(schemaMismatches(one.body, schemaOf('/v1/calls/{callId}', 200))).toEqual([]);
    }
    // the schema is the view's, not a loose object: every field of the view is in it, required
    expect(Object.keys(schemaOf('/v1/calls/{callId}', 200).properties).sort()).toEqual(Object.keys(list.body.items[0]).sort());
    expect(schemaOf('/v1/calls/{callId}', 200).required.sort()).toEqual(Object.keys(list.body.items[0]).sort());
    const missing = await service().get('/v1/calls/no-such-call');
    expect(missing.status).toBe(404);
    expect(schemaMismatches(missing.body, schemaOf('/v1/calls/{callId}', 404))).toEqual([]);
    const badQuery = await service().get('/v1/calls?limit=501');
    expect(badQuery.status).toBe(400);
    expect(schemaMismatches(badQuery.body, schemaOf('/v1/calls', 400))).toEqual([]);
    const limit = doc.paths['/v1/calls'].get.parameters.find((p: { name: string }) => p.name === 'limit');
    expect(limit.schema).toEqual({ type: 'integer', minimum: 1, maximum: 500, default: 50 });
    expect(doc.paths['/metrics'].get.responses['200'].content['text/plain']).toBeDefined();
  });

  test('GET /docs serves the Swagger UI, /docs-json the OpenAPI document with the contract examples', async () => {
    const page = await fetch(`${service().url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('swagger-ui');
    const asset = await fetch(`${service().url}/docs/swagger-ui-bundle.js`);
    expect(asset.status).toBe(200);
    await asset.arrayBuffer();

    const { status, body: doc } = await service().get('/docs-json');
    expect(status).toBe(200);
    expect(doc.info.title).toBe('voice-push');
    for (const path of ['/health/live', '/health/ready', '/metrics', '/v1/calls', '/v1/calls/{callId}', '/v1/calls/{callId}/history']) {
      expect(doc.paths[path]).toBeDefined();
    }
    const receivers = [
      { kind: 'status', path: '/v1/push/status', example: sample('status-spec-example.json'), required: ['accountId', 'callId', 'eventType', 'eventTime'] },
      {
        kind: 'cdr',
        path: '/v1/push/cdr',
        example: sample('cdr-spec-example.json'),
        required: ['accountId', 'callId', 'serviceType', 'beginCallTime', 'endTime', 'callDuration'],
      },
    ] as const;
    for (const { kind, path, example, required } of receivers) {
      const op = doc.paths[path]?.post;
      expect(op).toBeDefined();
      const body = op.requestBody.content['application/json'];
      expect(Object.values(body.examples).map((e: any) => e.value)).toContainEqual(example);
      expect(body.schema.required).toEqual(required);
      expect(body.schema.properties.callId).toMatchObject({ type: 'string', minLength: 1, maxLength: 128 });
      const answers = (code: number) => Object.values(op.responses[String(code)].content['application/json'].examples).map((e: any) => e.value);
      expect(answers(200)).toEqual([
        { accepted: true, duplicate: false, callId: expect.any(String) },
        { accepted: true, duplicate: true, callId: expect.any(String) },
      ]);
      expect(answers(400).map((a: any) => a.error)).toEqual(['INVALID_JSON', 'INVALID_PUSH']);
      // the documented refusal is the service's own answer to that body, word for word
      const refused = await service().post(path, INVALID_PUSH_EXAMPLES[kind]);
      expect(refused.status).toBe(400);
      expect(answers(400)[1]).toEqual(refused.body);
      expect(answers(413)[0].error).toBe('PAYLOAD_TOO_LARGE');
      expect(answers(415)[0].error).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(answers(503)[0].error).toBe('UNAVAILABLE');
      expect(op.responses['408'].content['application/json'].example.error).toBe('REQUEST_TIMEOUT');
      expect(op.responses['408'].content['application/json'].schema.properties.error.enum).toContain('REQUEST_TIMEOUT');
    }
    expect(doc.paths['/v1/push/status'].post.requestBody.content['application/json'].schema.properties.eventTime.oneOf).toHaveLength(2);
    expect(doc.paths['/v1/push/status'].post.requestBody.content['application/json'].schema.properties.allEventType.maxItems).toBe(16);
    // every admin route says it needs the bearer token, and is tagged as admin
    const adminOperations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/admin'))
      .flatMap(([, methods]) => Object.values(methods as Record<string, any>));
    expect(adminOperations.length).toBeGreaterThanOrEqual(8);
    for (const op of adminOperations) {
      expect(op.security).toEqual([{ admin: [] }]);
      expect(op.tags).toEqual(['admin']);
      expect(op.responses['401']).toBeDefined();
    }
    expect(doc.paths['/v1/push/cdr'].post.requestBody.content['application/json'].schema.properties.beginCallTime).toMatchObject({
      type: 'integer',
      minimum: 0,
    });
  });
});
