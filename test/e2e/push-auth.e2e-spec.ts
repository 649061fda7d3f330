// Optional push authentication (PUSH_AUTH_MODE): upstream's signature over the raw body,
// per-account tokens, the IP allow-list, the secret path segment; audit vs enforce.
import { describe, expect, test } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { metricValue } from '../support/prometheus-text.js';
import { rawPost } from '../support/raw-request.js';
import { useTestService, type TestService } from '../support/test-service.js';

const SAMPLES = resolve(process.cwd(), '../shared/spec/samples');
const sample = (name: string) => JSON.parse(readFileSync(resolve(SAMPLES, name), 'utf8')) as Record<string, unknown>;
const statusBody = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({ ...sample('status-spec-example.json'), callId: `auth-${randomUUID()}`, ...overrides });

const DEFAULT_TOKEN = 'default-token-0123456789';
const SPECIAL_TOKEN = 'special-token-abcdef';
const SPECIAL_ACCOUNT = 'ACC-SPECIAL';
// the longest a path token may be (100: the router refuses a longer path segment with 414)
const PATH_TOKEN = 'p4th-t0ken-very-secret_~.'.padEnd(100, 'x');

const sha256hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
/** upstream's authCode: hex SHA-256( timestamp + hex(SHA-256(raw body)) + authToken ) */
const authCode = (timestamp: string, body: string, token: string) => sha256hex(`${timestamp}${sha256hex(Buffer.from(body, 'utf8'))}${token}`);
const nowSeconds = () => String(Math.floor(Date.now() / 1000));
const signedQuery = (body: string, token: string, timestamp = nowSeconds()) => `?timestamp=${timestamp}&authCode=${authCode(timestamp, body, token)}`;

async function post(service: TestService, path: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${service.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}
async function failures(service: TestService, mode: string, reason: string): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  return metricValue(text, 'voice_push_auth_failures_total', { mode, reason }) ?? 0;
}
async function pushesRejected(service: TestService): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  return metricValue(text, 'voice_push_pushes_total', { kind: 'status', outcome: 'rejected' }) ?? 0;
}
/** A status push over the 64 KiB limit, its marker in the part that is read. */
const oversizedBody = (marker: string) => statusBody({ userData: marker, padding: 'x'.repeat(70 * 1024) });
async function keptAsRejected(service: TestService, marker: string): Promise<number> {
  const rows = await service.db.query(`SELECT count(*)::int AS n FROM rejected_pushes WHERE raw_body LIKE $1`, [`%${marker}%`]);
  return rows[0].n;
}

/** What a refused push left behind: a row in the rejected-push store, events of the call. A refusal leaves neither. */
async function traces(service: TestService, marker: string): Promise<{ keptAsRejected: number; stored: number }> {
  const rows = await service.db.query(`SELECT count(*)::int AS n FROM events WHERE data::text LIKE $1`, [`%${marker}%`]);
  return { keptAsRejected: await keptAsRejected(service, marker), stored: rows[0].n };
}

describe('signature, enforce mode (+ an allow-list holding 127.0.0.1)', () => {
  const service = useTestService({
    PUSH_AUTH_MODE: 'enforce',
    PUSH_AUTH_TOKENS: `${SPECIAL_ACCOUNT}:${SPECIAL_TOKEN},${DEFAULT_TOKEN}`,
    PUSH_AUTH_MAX_SKEW: '300s',
    PUSH_IP_ALLOWLIST: '127.0.0.0/8, ::1',
  });

  test('a validly signed push is accepted (both endpoints)', async () => {
    const marker = randomUUID();
    const body = statusBody({ userData: marker });
    expect(await post(service(), `/v1/push/status${signedQuery(body, DEFAULT_TOKEN)}`, body)).toMatchObject({ status: 200, body: { accepted: true } });
    expect(await traces(service(), marker)).toEqual({ keptAsRejected: 0, stored: 1 }); // what the refusals below must not leave
    const cdr = JSON.stringify({ ...sample('cdr-spec-example.json'), callId: `auth-${randomUUID()}` });
    expect((await post(service(), `/v1/push/cdr${signedQuery(cdr, DEFAULT_TOKEN)}`, cdr)).status).toBe(200);
  });

  test('the authCode may be sent in upper case hex', async () => {
    const body = statusBody();
    const ts = nowSeconds();
    expect((await post(service(), `/v1/push/status?timestamp=${ts}&authCode=${authCode(ts, body, DEFAULT_TOKEN).toUpperCase()}`, body)).status).toBe(200);
  });

  test.each([
    ['missing signature', (_b: string) => '', 'missing_signature'],
    ['timestamp without authCode', (_b: string) => `?timestamp=${nowSeconds()}`, 'missing_signature'],
    ['wrong token', (b: string) => signedQuery(b, 'not-the-token'), 'bad_signature'],
    ['signature of another body', (_b: string) => signedQuery(statusBody(), DEFAULT_TOKEN), 'bad_signature'],
    ['authCode not hex', (_b: string) => `?timestamp=${nowSeconds()}&authCode=zz`, 'bad_signature'],
    ['expired timestamp (10 min old)', (b: string) => signedQuery(b, DEFAULT_TOKEN, String(Math.floor(Date.now() / 1000) - 600)), 'expired_timestamp'],
    ['timestamp from the future (10 min)', (b: string) => signedQuery(b, DEFAULT_TOKEN, String(Math.floor(Date.now() / 1000) + 600)), 'expired_timestamp'],
    ['timestamp in milliseconds', (b: string) => signedQuery(b, DEFAULT_TOKEN, String(Date.now())), 'bad_timestamp'],
    ['timestamp not a number', (b: string) => signedQuery(b, DEFAULT_TOKEN, '12ab'), 'bad_timestamp'],
  ])('%s → 401 UNAUTHORIZED, counted, neither stored nor kept as rejected', async (_name, query, reason) => {
    const marker = randomUUID();
    const body = statusBody({ userData: marker });
    const before = await failures(service(), 'enforce', reason);
    const answer = await post(service(), `/v1/push/status${query(body)}`, body);
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ error: 'UNAUTHORIZED', message: expect.any(String) });
    expect(await failures(service(), 'enforce', reason)).toBe(before + 1);
    expect(await traces(service(), marker)).toEqual({ keptAsRejected: 0, stored: 0 });
  });

  test('an account with its own token must sign with it; the default token does not do for it', async () => {
    const body = statusBody({ accountId: SPECIAL_ACCOUNT });
    expect((await post(service(), `/v1/push/status${signedQuery(body, DEFAULT_TOKEN)}`, body)).status).toBe(401);
    expect((await post(service(), `/v1/push/status${signedQuery(body, SPECIAL_TOKEN)}`, body)).status).toBe(200);
    // and another account cannot use the special token
    const other = statusBody({ accountId: 'ACC-OTHER' });
    expect((await post(service(), `/v1/push/status${signedQuery(other, SPECIAL_TOKEN)}`, other)).status).toBe(401);
  });

  test("a push whose JSON follows a byte order mark, signed with its account's own token, is accepted (its accountId read past the mark)", async () => {
    const body = `\uFEFF${statusBody({ accountId: SPECIAL_ACCOUNT })}`;
    expect((await post(service(), `/v1/push/status${signedQuery(body, SPECIAL_TOKEN)}`, body)).status).toBe(200);
  });

  test('the signature covers the raw bytes: the same JSON re-spaced fails', async () => {
    const body = statusBody();
    const respaced = JSON.stringify(JSON.parse(body), null, 2);
    expect((await post(service(), `/v1/push/status${signedQuery(body, DEFAULT_TOKEN)}`, respaced)).status).toBe(401);
  });

  // The body parser reads an oversized push only to the limit + 1 byte: no signature can match that.
  test('a push over 64 KiB → 413 PAYLOAD_TOO_LARGE, signed or not (not 401): counted as rejected, no signature failure, not kept (not authenticated)', async () => {
    const marker = randomUUID();
    const body = oversizedBody(marker);
    const badSignatures = await failures(service(), 'enforce', 'bad_signature');
    const missingSignatures = await failures(service(), 'enforce', 'missing_signature');
    const rejected = await pushesRejected(service());
    const tooLarge = { error: 'PAYLOAD_TOO_LARGE', message: `body of ${Buffer.byteLength(body)} bytes is over the 65536-byte limit` };
    expect(await post(service(), `/v1/push/status${signedQuery(body, DEFAULT_TOKEN)}`, body)).toEqual({ status: 413, body: tooLarge });
    expect(await post(service(), '/v1/push/status', body)).toEqual({ status: 413, body: tooLarge });
    expect(await failures(service(), 'enforce', 'bad_signature')).toBe(badSignatures);
    expect(await failures(service(), 'enforce', 'missing_signature')).toBe(missingSignatures);
    expect(await pushesRejected(service())).toBe(rejected + 2);
    expect(await traces(service(), marker)).toEqual({ keptAsRejected: 0, stored: 0 });
  });

  test('a signed but invalid push is still a 400 (authenticated first, then validated and kept)', async () => {
    const marker = randomUUID();
    const body = statusBody({ userData: marker, eventType: 'x' });
    const answer = await post(service(), `/v1/push/status${signedQuery(body, DEFAULT_TOKEN)}`, body);
    expect(answer).toMatchObject({ status: 400, body: { error: 'INVALID_PUSH' } });
    expect(await keptAsRejected(service(), marker)).toBe(1);
  });
});

describe('audit mode', () => {
  const service = useTestService({ PUSH_AUTH_MODE: 'audit', PUSH_AUTH_TOKENS: DEFAULT_TOKEN, PUSH_IP_ALLOWLIST: '10.0.0.0/8' });

  test('an unsigned push from outside the allow-list is accepted, and both failures are counted', async () => {
    const missing = await failures(service(), 'audit', 'missing_signature');
    const ip = await failures(service(), 'audit', 'ip_not_allowed');
    const body = statusBody();
    expect(await post(service(), '/v1/push/status', body)).toMatchObject({ status: 200, body: { accepted: true, duplicate: false } });
    expect(await failures(service(), 'audit', 'missing_signature')).toBe(missing + 1);
    expect(await failures(service(), 'audit', 'ip_not_allowed')).toBe(ip + 1);
  });

  test('a wrongly signed push is accepted and counted as bad_signature', async () => {
    const before = await failures(service(), 'audit', 'bad_signature');
    const body = statusBody();
    expect((await post(service(), `/v1/push/status${signedQuery(body, 'wrong')}`, body)).status).toBe(200);
    expect(await failures(service(), 'audit', 'bad_signature')).toBe(before + 1);
  });

  test('a signed push over 64 KiB → 413, kept as in off mode, and no bad_signature counted (its signature cannot be checked on the part read)', async () => {
    const marker = randomUUID();
    const body = oversizedBody(marker);
    const before = await failures(service(), 'audit', 'bad_signature');
    const answer = await post(service(), `/v1/push/status${signedQuery(body, DEFAULT_TOKEN)}`, body);
    expect(answer).toMatchObject({ status: 413, body: { error: 'PAYLOAD_TOO_LARGE' } });
    expect(await failures(service(), 'audit', 'bad_signature')).toBe(before);
    expect(await keptAsRejected(service(), marker)).toBe(1);
  });

  test('a validly signed push adds no signature failure', async () => {
    const before = await failures(service(), 'audit', 'bad_signature');
    const body = statusBody();
    expect((await post(service(), `/v1/push/status${signedQuery(body, DEFAULT_TOKEN)}`, body)).status).toBe(200);
    expect(await failures(service(), 'audit', 'bad_signature')).toBe(before);
    expect(await failures(service(), 'audit', 'missing_signature')).toBeGreaterThan(0);
  });
});

describe('IP allow-list, enforce mode, without 127.0.0.1', () => {
  const service = useTestService({ PUSH_AUTH_MODE: 'enforce', PUSH_IP_ALLOWLIST: '10.0.0.0/8,192.168.1.7,fd00::/8' });

  test('a push from 127.0.0.1 → 403 FORBIDDEN, counted, not kept', async () => {
    const marker = randomUUID();
    const answer = await post(service(), '/v1/push/cdr', statusBody({ userData: marker }));
    expect(answer).toEqual({ status: 403, body: { error: 'FORBIDDEN', message: expect.any(String) } });
    expect(await failures(service(), 'enforce', 'ip_not_allowed')).toBe(1);
    expect(await traces(service(), marker)).toEqual({ keptAsRejected: 0, stored: 0 });
  });

  // The router routes what it decodes and cuts to its path; the allow-list must see the same push.
  test.each([
    ['absolute-form', 'http://anyhost/v1/push/status'],
    ['absolute-form, scheme in upper case, with a query', 'HTTP://anyhost:8080/v1/push/cdr?x=1'],
    ['percent-encoded form', '/v1/%70ush/status'],
    ['percent-encoded form, first segment', '/%761/push/cdr'],
  ])('a push from 127.0.0.1 with its target in %s → 403 FORBIDDEN too, not kept', async (_name, target) => {
    const marker = randomUUID();
    const answer = await rawPost(service().url, { target, contentType: 'application/json', body: statusBody({ userData: marker }) });
    expect(answer).toEqual({ status: 403, body: { error: 'FORBIDDEN', message: expect.any(String) } });
    expect(await traces(service(), marker)).toEqual({ keptAsRejected: 0, stored: 0 });
  });

  test('a path-token path with no PUSH_PATH_TOKEN set, in absolute-form too, is no receiver: 404 whoever asks, not kept', async () => {
    const marker = randomUUID();
    const answer = await rawPost(service().url, { target: 'http://anyhost/v1/push/some-token/status', contentType: 'application/json', body: statusBody({ userData: marker }) });
    expect(answer).toEqual({ status: 404, body: { error: 'NOT_FOUND', message: 'not found' } });
    expect(await traces(service(), marker)).toEqual({ keptAsRejected: 0, stored: 0 });
  });

  test('only the push receivers are closed to it', async () => {
    expect((await service().get('/health/live')).status).toBe(200);
  });

  test('without TRUSTED_PROXIES an X-Forwarded-For naming an allowed address is ignored (any client can write it) → 403', async () => {
    const answer = await post(service(), '/v1/push/status', statusBody(), { 'x-forwarded-for': '10.1.2.3' });
    expect(answer.status).toBe(403);
  });
});

describe('behind a load balancer (TRUSTED_PROXIES): the client is the one the proxy names', () => {
  // the test's own requests come from 127.0.0.1 / ::1, which plays the load balancer
  const service = useTestService({
    TRUSTED_PROXIES: '127.0.0.1, ::1',
    PUSH_AUTH_MODE: 'enforce',
    PUSH_IP_ALLOWLIST: '203.0.113.0/24',
    PUSH_RATE_LIMIT: '0.1',
    PUSH_RATE_BURST: '2',
  });
  const from = (forwardedFor: string) => ({ 'x-forwarded-for': forwardedFor });

  test('the allow-list checks the forwarded client, not the proxy', async () => {
    expect((await post(service(), '/v1/push/status', statusBody(), from('203.0.113.9'))).status).toBe(200);
    expect((await post(service(), '/v1/push/status', statusBody(), from('198.51.100.1'))).status).toBe(403);
    expect((await post(service(), '/v1/push/status', statusBody())).status).toBe(403); // the proxy's own address is not allowed
  });

  test('only the hop next to the trusted proxy counts: an address the client prepended is not believed', async () => {
    expect((await post(service(), '/v1/push/status', statusBody(), from('203.0.113.50, 198.51.100.1'))).status).toBe(403);
    expect((await post(service(), '/v1/push/status', statusBody(), from('198.51.100.1, 203.0.113.51'))).status).toBe(200);
  });

  test('the rate limit is per forwarded client: one client over its burst does not stop another behind the same proxy', async () => {
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push((await post(service(), '/v1/push/status', statusBody(), from('203.0.113.20'))).status);
    expect(answers).toEqual([200, 200, 503]); // a burst of 2, then one token every 10 s
    expect((await post(service(), '/v1/push/status', statusBody(), from('203.0.113.21'))).status).toBe(200);
  });
});

describe('secret path segment (PUSH_PATH_TOKEN)', () => {
  describe('enforce: only /v1/push/{token}/…', () => {
    const service = useTestService({ PUSH_AUTH_MODE: 'enforce', PUSH_PATH_TOKEN: PATH_TOKEN });

    test('the secret path serves both receivers', async () => {
      expect((await post(service(), `/v1/push/${PATH_TOKEN}/status`, statusBody())).status).toBe(200);
      const cdr = JSON.stringify({ ...sample('cdr-spec-example.json'), callId: `auth-${randomUUID()}` });
      expect((await post(service(), `/v1/push/${PATH_TOKEN}/cdr`, cdr)).status).toBe(200);
    });

    test('the plain paths and a wrong token → 404, counted, not kept', async () => {
      const marker = randomUUID();
      const plain = await post(service(), '/v1/push/status', statusBody({ userData: marker }));
      expect(plain).toEqual({ status: 404, body: { error: 'NOT_FOUND', message: 'not found' } });
      const wrong = await post(service(), `/v1/push/${PATH_TOKEN.slice(0, -1)}y/cdr`, statusBody({ userData: marker }));
      expect(wrong.status).toBe(404);
      expect(await failures(service(), 'enforce', 'path_token')).toBe(2);
      expect(await traces(service(), marker)).toEqual({ keptAsRejected: 0, stored: 0 });
    });

    test('a body over the 8 MiB hard limit on the plain path or a wrong token → 404 before it is read, not a 413 counted as a push', async () => {
      const rejectedBefore = await pushesRejected(service());
      const before = await failures(service(), 'enforce', 'path_token');
      for (const target of ['/v1/push/status', `/v1/push/${PATH_TOKEN.slice(0, -1)}y/status`]) {
        // announced, never sent: only the head decides
        const answer = await rawPost(service().url, { target, contentType: 'application/json', contentLength: 9_000_000 });
        expect({ target, answer }).toEqual({ target, answer: { status: 404, body: { error: 'NOT_FOUND', message: 'not found' } } });
      }
      expect(await failures(service(), 'enforce', 'path_token')).toBe(before + 2);
      expect(await pushesRejected(service())).toBe(rejectedBefore);
    });
  });

  describe('enforce, with an allow-list and a rate limit: the path is checked first', () => {
    const service = useTestService({
      PUSH_AUTH_MODE: 'enforce',
      PUSH_PATH_TOKEN: PATH_TOKEN,
      PUSH_IP_ALLOWLIST: '10.0.0.0/8',
      PUSH_RATE_LIMIT: '0.001',
      PUSH_RATE_BURST: '1',
    });

    test('a wrong token is 404 however often and from wherever: never a 403 or a 503 that would tell a prober a receiver is there', async () => {
      for (let i = 0; i < 5; i++) {
        expect((await post(service(), `/v1/push/${PATH_TOKEN.slice(0, -1)}y/status`, statusBody())).status).toBe(404);
        expect((await post(service(), '/v1/push/status', statusBody())).status).toBe(404);
      }
      // the right path meets the allow-list (127.0.0.1 is not on it)
      expect((await post(service(), `/v1/push/${PATH_TOKEN}/status`, statusBody())).status).toBe(403);
    });
  });

  describe('audit: both paths served, the plain one counted', () => {
    const service = useTestService({ PUSH_AUTH_MODE: 'audit', PUSH_PATH_TOKEN: PATH_TOKEN });

    test('plain path: 200 and a path_token failure; secret path: 200 and none', async () => {
      expect((await post(service(), '/v1/push/status', statusBody())).status).toBe(200);
      expect(await failures(service(), 'audit', 'path_token')).toBe(1);
      expect((await post(service(), `/v1/push/${PATH_TOKEN}/status`, statusBody())).status).toBe(200);
      expect(await failures(service(), 'audit', 'path_token')).toBe(1);
    });
  });

  describe('off (the default)', () => {
    const service = useTestService();

    test('unsigned pushes are accepted; a path segment is 404; no failure is counted', async () => {
      expect((await post(service(), '/v1/push/status', statusBody())).status).toBe(200);
      expect((await post(service(), '/v1/push/anything/status', statusBody())).status).toBe(404);
      const text = await (await fetch(`${service().url}/metrics`)).text();
      expect(text).not.toMatch(/^voice_push_auth_failures_total\{/m);
    });

    test('a path segment with a body over the 8 MiB hard limit is 404 too, before the body: no receiver is there, no push counted', async () => {
      const rejectedBefore = await pushesRejected(service());
      const answer = await rawPost(service().url, { target: '/v1/push/anything-0000000000/status', contentType: 'application/json', contentLength: 9_000_000 });
      expect(answer).toEqual({ status: 404, body: { error: 'NOT_FOUND', message: 'not found' } });
      expect(await pushesRejected(service())).toBe(rejectedBefore);
    });
  });
});
