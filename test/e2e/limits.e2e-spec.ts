// Limits of the push receivers: JSON depth, array sizes, text Postgres cannot store, the
// per-sender rate limit, and the server timeouts against slow clients (slowloris).
import { describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { resolve } from 'node:path';
import { metricValue } from '../support/prometheus-text.js';
import { rawPost } from '../support/raw-request.js';
import { useTestService, type TestService } from '../support/test-service.js';

const SAMPLES = resolve(process.cwd(), '../shared/spec/samples');
const sample = (name: string) => JSON.parse(readFileSync(resolve(SAMPLES, name), 'utf8')) as Record<string, unknown>;
const statusPush = (overrides: Record<string, unknown> = {}) => ({
  ...sample('status-spec-example.json'),
  callId: `limits-${randomUUID()}`,
  ...overrides,
});

async function rejectedRows(service: TestService, marker: string) {
  return service.db.query(`SELECT kind, status_code, reason, violations, raw_body, count FROM rejected_pushes WHERE raw_body LIKE $1`, [`%${marker}%`]);
}

/** A status push whose extra field `nest` makes the whole body `depth` levels deep. */
function nestedBody(depth: number, marker: string): string {
  const push = JSON.stringify(statusPush({ userData: marker }));
  const inner = depth - 1; // the body object itself is level 1
  return `${push.slice(0, -1)},"nest":${'['.repeat(inner)}${']'.repeat(inner)}}`;
}

describe('limits of the push receivers', () => {
  const service = useTestService();

  test('JSON nested 32 levels deep is accepted; 33 levels → 400 INVALID_JSON, kept raw', async () => {
    expect((await service().post('/v1/push/status', nestedBody(32, randomUUID()))).status).toBe(200);
    const marker = randomUUID();
    const answer = await service().post('/v1/push/status', nestedBody(33, marker));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'INVALID_JSON' });
    expect(answer.body.message).toContain('32');
    const rows = await rejectedRows(service(), marker);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'status', status_code: 400, count: 1 });
  });

  test('a body nested thousands of levels (past any recursive serialiser) → 400, not a 5xx', async () => {
    const marker = randomUUID();
    const body = `{"userData":"${marker}","x":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`;
    const answer = await service().post('/v1/push/cdr', body);
    expect(answer).toMatchObject({ status: 400, body: { error: 'INVALID_JSON' } });
    expect(await rejectedRows(service(), marker)).toHaveLength(1);
  });

  test('allEventType with 16 codes is accepted; 17 → 400 INVALID_PUSH on allEventType, kept', async () => {
    expect((await service().post('/v1/push/status', statusPush({ allEventType: Array.from({ length: 16 }, (_, i) => i) }))).status).toBe(200);
    const marker = randomUUID();
    const answer = await service().post('/v1/push/status', statusPush({ userData: marker, allEventType: Array.from({ length: 17 }, (_, i) => i) }));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('INVALID_PUSH');
    expect(answer.body.violations).toEqual([{ field: 'allEventType', reason: 'must have at most 16 elements' }]);
    const [row] = await rejectedRows(service(), marker);
    expect(row.violations).toEqual(answer.body.violations);
  });

  test.each([
    ['U+0000 in a known field', { callId: 'nul\u0000id' }, 'callId'],
    ['U+0000 in an unknown field', { extra: 'a\u0000b' }, 'extra'],
    ['a lone high surrogate', { userData: 'x\uD800y' }, 'userData'],
    ['a lone low surrogate in a nested key', { extra: { ['k\uDC00']: 1 } }, 'extra'],
    ['U+0000 in a key', { ['k\u0000']: 1 }, 'k\\u0000'],
  ])('%s (valid JSON Postgres cannot store) → 400 INVALID_PUSH, kept escaped, never a 503', async (_name, overrides, field) => {
    const marker = randomUUID();
    const body = JSON.stringify(statusPush({ outId: marker, ...overrides }));
    const answer = await service().post('/v1/push/status', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('INVALID_PUSH');
    expect(answer.body.violations.map((v: { field: string }) => v.field)).toContain(field);
    const rows = await rejectedRows(service(), marker);
    expect(rows).toHaveLength(1);
    expect(rows[0].raw_body).toBe(body);
  });

  test('a well-formed surrogate pair (emoji) is fine', async () => {
    expect((await service().post('/v1/push/status', statusPush({ userData: '😀 \uD83D\uDE00' }))).status).toBe(200);
  });

  test("a URL that does not decode → 400, a path segment over the router's limit → 414, both in the contract's {error, message}", async () => {
    const badUrl = await service().get('/v1/calls/%E0%A4%A');
    expect(badUrl).toEqual({ status: 400, body: { error: 'BAD_REQUEST', message: expect.any(String) } });
    const tooLong = await service().get(`/v1/calls/${'x'.repeat(5_000)}`);
    expect(tooLong).toEqual({ status: 414, body: { error: 'URI_TOO_LONG', message: expect.any(String) } });
    // a route that is not there: its 404 does not quote kilobytes of the client's own URL back
    const nowhere = await service().post(`/v1/calls/${'x'.repeat(5_000)}`, {});
    expect(nowhere.status).toBe(404);
    expect(nowhere.body.message.length).toBeLessThanOrEqual(320);
  });

  test('a NUL byte in malformed JSON → 400 INVALID_JSON, kept (the parser message quoting it is storable)', async () => {
    const marker = randomUUID();
    const answer = await service().post('/v1/push/status', `{"m":"${marker}","a":\u0000}`);
    expect(answer).toMatchObject({ status: 400, body: { error: 'INVALID_JSON' } });
    expect(await rejectedRows(service(), marker)).toHaveLength(1);
  });
});

describe('per-sender rate limit (PUSH_RATE_LIMIT)', () => {
  // one token every 2 s: what refills while the test sends is bounded by the time it took, not by a guess of it
  const service = useTestService({ PUSH_RATE_LIMIT: '0.5', PUSH_RATE_BURST: '5' });

  test('over the limit: 503 UNAVAILABLE with Retry-After, nothing kept as rejected; later accepted again', async () => {
    const marker = randomUUID();
    const pushes = Array.from({ length: 12 }, () => JSON.stringify(statusPush({ userData: marker })));
    const answers = [];
    const started = Date.now();
    for (const body of pushes) {
      const response = await fetch(`${service().url}/v1/push/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      answers.push({ status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> });
    }
    const accepted = answers.filter((a) => a.status === 200);
    const limited = answers.filter((a) => a.status === 503);
    const elapsedMs = Date.now() - started;
    // 5 saved up, plus what refilled while the 12 were sent (one every 2 s)
    expect(accepted.length).toBeGreaterThanOrEqual(5);
    expect(accepted.length).toBeLessThanOrEqual(5 + Math.ceil(elapsedMs / 2_000));
    expect(limited.length).toBeGreaterThan(0);
    expect(accepted.length + limited.length).toBe(12);
    for (const a of limited) {
      expect(a.body.error).toBe('UNAVAILABLE');
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    // refused for load, not for content: not in the rejected-push store
    expect(await rejectedRows(service(), marker)).toHaveLength(0);
    const metrics = await (await fetch(`${service().url}/metrics`)).text();
    expect(metricValue(metrics, 'voice_push_rate_limited_total')).toBe(limited.length);

    await new Promise((r) => setTimeout(r, 2_100));
    expect((await service().post('/v1/push/status', statusPush())).status).toBe(200);
  });

  test('the limit is on the push receivers only', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => service().get('/health/live')));
    expect(answers.every((a) => a.status === 200)).toBe(true);
  });
});

describe('per-sender rate limit, whatever the spelling of the request target', () => {
  // one push, then none for 1000 s: no refill can happen while the test runs
  const service = useTestService({ PUSH_RATE_LIMIT: '0.001', PUSH_RATE_BURST: '1' });

  test('once the sender is over its limit, absolute-form and percent-encoded targets → 503 too, nothing kept', async () => {
    expect((await service().post('/v1/push/status', statusPush())).status).toBe(200);
    const marker = randomUUID();
    const body = JSON.stringify(statusPush({ userData: marker }));
    for (const target of ['http://anyhost/v1/push/status', '/v1/%70ush/status', '/v1/push/%73tatus']) {
      const answer = await rawPost(service().url, { target, contentType: 'application/json', body });
      expect({ target, ...answer }).toEqual({ target, status: 503, body: { error: 'UNAVAILABLE', message: expect.any(String) } });
    }
    expect(await rejectedRows(service(), marker)).toHaveLength(0);
    const events = await service().db.query(`SELECT count(*)::int AS n FROM events WHERE stream_id = $1`, [JSON.parse(body).callId]);
    expect(events[0].n).toBe(0);
  });
});

/** Opens a socket, sends the headers of a push announcing `length` bytes, then one byte every `everyMs`. */
function slowPost(url: string, path: string, length: number, everyMs: number) {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  let received = '';
  let sent = 0;
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => (received += chunk));
  socket.on('error', () => {});
  socket.write(`POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`);
  const timer = setInterval(() => {
    if (socket.destroyed || sent >= length) return clearInterval(timer);
    socket.write(sent === 0 ? '{' : ' ');
    sent++;
  }, everyMs);
  const closed = new Promise<{ received: string; sent: number }>((done) =>
    socket.on('close', () => {
      clearInterval(timer);
      done({ received, sent });
    }),
  );
  return { socket, closed };
}

describe('server timeouts (HTTP_REQUEST_TIMEOUT)', () => {
  const service = useTestService({ HTTP_REQUEST_TIMEOUT: '1s' });

  test('a body sent a byte at a time (slowloris) is cut with 408 soon after the timeout', async () => {
    const slow = slowPost(service().url, '/v1/push/status', 10_000, 100);
    const safety = setTimeout(() => slow.socket.destroy(), 15_000);
    const result = await slow.closed;
    clearTimeout(safety);
    // the server answered and closed it, not our safety timer, long before the body's 10,000 bytes
    expect(result.received).toMatch(/^HTTP\/1\.1 408/);
    expect(result.sent).toBeLessThan(10_000);
  });

  test('headers that never end are cut too', async () => {
    const { hostname, port } = new URL(service().url);
    const socket = net.connect(Number(port), hostname);
    socket.on('error', () => {});
    socket.write(`POST /v1/push/cdr HTTP/1.1\r\nHost: ${hostname}\r\n`);
    let lines = 0;
    const timer = setInterval(() => {
      socket.write('X-Slow: 1\r\n');
      lines++;
    }, 100);
    let cutBySafety = false;
    const safety = setTimeout(() => {
      cutBySafety = true;
      socket.destroy();
    }, 15_000);
    await new Promise((done) => socket.on('close', done));
    clearInterval(timer);
    clearTimeout(safety);
    // the server closed it, not our safety timer
    expect(cutBySafety).toBe(false);
    expect(lines).toBeGreaterThan(0);
  });

  test('several slow clients do not stop a normal push', async () => {
    const slow = Array.from({ length: 5 }, () => slowPost(service().url, '/v1/push/cdr', 5_000, 200));
    const answer = await service().post('/v1/push/status', statusPush());
    expect(answer.status).toBe(200);
    const safety = setTimeout(() => slow.forEach((s) => s.socket.destroy()), 15_000);
    const results = await Promise.all(slow.map((s) => s.closed));
    clearTimeout(safety);
    // and they were cut by the server, each with its 408
    for (const result of results) expect(result.received).toMatch(/^HTTP\/1\.1 408/);
  });
});
