import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { startTestService, useTestService, type TestService } from '../support/test-service.js';
import { metricValue } from '../support/prometheus-text.js';
import { answerOf, type HttpAnswer } from '../support/http-answer.js';
import { anAnsweredWireCall, getCall, pollUntil, push, statusWire, uniqueCallId, type WireBody } from '../support/wire-pushes.js';
import { readCallEvents } from '../../apps/voice-push/src/outbox-relay/call-event-log.js';
import { logSettled } from '../../libs/event-store/src/testing/log-settled.js';
import { openRawConnection, parseRawAnswer } from '../../libs/testing/src/raw-connection.js';
import { schemaMismatches } from '../support/schema-mismatches.js';
import { createTempDatabase, type TempDatabase } from '../../libs/event-store/src/testing/temp-database.js';

const TOKEN = 'admin-token-for-e2e-0123456789';

/** An admin call on `base` (the service's url unless given), with the token unless told otherwise. */
async function admin(
  service: TestService,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  o: { body?: unknown; token?: string | null; authorization?: string; base?: string } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = {};
  const token = o.token === undefined ? TOKEN : o.token;
  if (o.authorization !== undefined) headers.authorization = o.authorization;
  else if (token !== null) headers.authorization = `Bearer ${token}`;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${o.base ?? service.url}${path}`, {
    method,
    headers,
    body: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
  });
  return answerOf(response);
}

async function sendCall(service: TestService, call: { statuses: WireBody[]; cdr: WireBody }, withCdr = true) {
  for (const s of call.statuses) await push(service, 'status', s);
  if (withCdr) await push(service, 'cdr', call.cdr);
}

const count = async (service: TestService, sql: string, params: unknown[] = []): Promise<number> =>
  Number(((await service.db.query(sql, params)) as { n: string }[])[0]!.n);

async function auditRows(service: TestService, action: string): Promise<{ arguments: any; result: any; status_code: number }[]> {
  return service.db.query(`SELECT arguments, result, status_code FROM admin_audit WHERE action = $1 ORDER BY id`, [action]);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('admin: authorization', () => {
  let service: TestService;
  let noToken: TestService;
  beforeAll(async () => {
    [service, noToken] = await Promise.all([startTestService({ ADMIN_TOKEN: TOKEN }), startTestService()]);
  });
  afterAll(async () => {
    await Promise.all([service?.close(), noToken?.close()]);
  });

  test.each([
    ['no Authorization header', { token: null }],
    ['a wrong token', { token: 'not-the-admin-token-at-all' }],
    ['the token with one character less', { token: TOKEN.slice(0, -1) }],
    ['the token as Basic auth', { authorization: `Basic ${TOKEN}` }],
    ['an empty Bearer', { authorization: 'Bearer ' }],
  ])('%s → 401 UNAUTHORIZED on every admin route', async (_name, o) => {
    for (const [method, path] of [
      ['GET', '/admin/stats'],
      ['GET', '/admin/rejected-pushes'],
      ['POST', '/admin/rejected-pushes/1/replay'],
      ['POST', '/admin/projections/rebuild'],
      ['GET', '/admin/projections/rebuild/x'],
      ['POST', '/admin/outbox/republish'],
      ['GET', '/admin/outbox/republish/x'],
      ['POST', '/admin/calls/x/finalize'],
    ] as const) {
      const answer = await admin(service, method, path, o);
      expect({ path, status: answer.status, error: answer.body.error }).toEqual({ path, status: 401, error: 'UNAUTHORIZED' });
    }
    // nothing ran: an unauthorised call leaves no audit row and starts nothing
    expect(await count(service, 'SELECT count(*) AS n FROM admin_audit')).toBe(0);
  });

  test('the right token → 200 (the scheme is case-insensitive)', async () => {
    expect((await admin(service, 'GET', '/admin/stats')).status).toBe(200);
    expect((await admin(service, 'GET', '/admin/stats', { authorization: `bearer ${TOKEN}` })).status).toBe(200);
  });

  test('no ADMIN_TOKEN configured: every admin call is refused, saying why', async () => {
    for (const o of [{ token: null }, { token: TOKEN }]) {
      const answer = await admin(noToken, 'GET', '/admin/stats', o);
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ error: 'UNAUTHORIZED', message: expect.stringContaining('ADMIN_TOKEN is not set') });
    }
    expect((await admin(noToken, 'POST', '/admin/calls/x/finalize')).status).toBe(401);
  });
});

describe('admin: GET /admin/stats', () => {
  const service = useTestService({ ADMIN_TOKEN: TOKEN });

  test('counts exactly what was pushed', async () => {
    const empty = await admin(service(), 'GET', '/admin/stats');
    expect(empty.status).toBe(200);
    expect(empty.body.pushes).toMatchObject({ accepted: 0, duplicate: 0, rejected: 0 });
    expect(empty.body.sessions).toMatchObject({ open: 0, finalized: 0, overdue: 0 });

    const finalised = anAnsweredWireCall();
    await sendCall(service(), finalised); // 5 accepted
    const open = anAnsweredWireCall();
    await push(service(), 'status', open.statuses[0]!); // 1 accepted
    await push(service(), 'status', open.statuses[1]!); // 1 accepted
    expect(await push(service(), 'status', open.statuses[0]!)).toEqual({ duplicate: true });
    expect(await push(service(), 'cdr', finalised.cdr)).toEqual({ duplicate: true });
    expect(await push(service(), 'status', finalised.statuses[3]!)).toEqual({ duplicate: true });
    // the same key with other content: a duplicate too (the first stays), counted apart
    expect(await push(service(), 'status', { ...open.statuses[1]!, userData: 'changed on a retry' })).toEqual({ duplicate: true });
    // rejected: the same bad JSON twice (one row, count 2), a 415, a validation failure
    expect((await service().post('/v1/push/status', '{"callId":')).status).toBe(400);
    expect((await service().post('/v1/push/status', '{"callId":')).status).toBe(400);
    expect((await service().post('/v1/push/cdr', JSON.stringify(finalised.cdr), 'text/plain')).status).toBe(415);
    expect((await service().post('/v1/push/cdr', { callId: uniqueCallId() })).status).toBe(400);

    const stats = await admin(service(), 'GET', '/admin/stats');
    expect(stats.status).toBe(200);
    expect(stats.body.pushes).toEqual({
      accepted: 7,
      acceptedByKind: { status: 6, cdr: 1 },
      duplicate: 3,
      conflictingDuplicate: 1,
      rejected: 4,
      rejectedByKind: { status: 2, cdr: 2 },
      rejectedDistinctBodies: 3,
      rejectedReplayed: 0,
      rejectedExpired: 0,
      unavailable: 0,
    });
    expect(stats.body.sessions).toEqual({ total: 2, open: 1, finalized: 1, finalizedWithoutCdr: 0, overdue: 0 });
    const reconciliation = (await service().db.query(
      `SELECT reconciliation_status AS s, count(*)::int AS n FROM calls GROUP BY 1`,
    )) as { s: string; n: number }[];
    for (const { s, n } of reconciliation) expect(stats.body.reconciliation[s]).toBe(n);
    expect(stats.body.reconciliation.PENDING).toBe(1);
    expect(Object.values(stats.body.reconciliation as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(2);
    // no Kafka configured: every event waits in the log, and the finalised view in the outbox
    const events = await count(service(), 'SELECT count(*) AS n FROM events');
    expect(await count(service(), 'SELECT count(*) AS n FROM outbox')).toBe(1);
    expect(stats.body.outbox).toEqual({ lag: events + 1, liveCallEventsHeldBy: [], relay: null });
    // a republish on another instance holding the live call events: the stats name it while it holds
    await service().db.query(`INSERT INTO relay_holds (name, held_until) VALUES ('republish elsewhere', now() + interval '1 minute'), ('lapsed', now())`);
    try {
      const held = await admin(service(), 'GET', '/admin/stats');
      expect(held.body.outbox.liveCallEventsHeldBy).toEqual(['republish elsewhere']);
    } finally {
      await service().db.query(`DELETE FROM relay_holds`);
    }
    expect(events).toBeGreaterThanOrEqual(6);
    // duplicates are persisted (they leave no other trace), so a restart keeps them
    expect(await count(service(), `SELECT count AS n FROM push_counters WHERE outcome = 'duplicate'`)).toBe(3);
    expect(await count(service(), `SELECT count AS n FROM push_counters WHERE outcome = 'conflicting_duplicate'`)).toBe(1);
    const metrics = await (await fetch(`${service().url}/metrics`)).text();
    expect(metricValue(metrics, 'voice_push_pushes_total', { kind: 'status', outcome: 'conflicting_duplicate' })).toBe(1);
    expect(metricValue(metrics, 'voice_push_pushes_total', { kind: 'status', outcome: 'duplicate' })).toBe(2);
    // stats reads change nothing: not audited
    expect(await count(service(), 'SELECT count(*) AS n FROM admin_audit')).toBe(0);
  });
});

describe('admin: rejected-push retention (REJECTED_PUSH_RETENTION=1m, checked every 15 s)', () => {
  const service = useTestService({ ADMIN_TOKEN: TOKEN, REJECTED_PUSH_RETENTION: '1m' });

  test('a row not seen for longer is deleted by the running service; the stats and metrics still count it', async () => {
    const old = { callId: `${uniqueCallId()}-old` };
    const recent = { callId: `${uniqueCallId()}-recent` };
    expect((await service().post('/v1/push/status', old)).status).toBe(400);
    expect((await service().post('/v1/push/status', old)).status).toBe(400); // its retry: count 2
    expect((await service().post('/v1/push/cdr', recent)).status).toBe(400);
    await service().db.query(`UPDATE rejected_pushes SET last_seen_at = now() - interval '2 minutes' WHERE raw_body = $1`, [JSON.stringify(old)]);

    const rows = () => count(service(), 'SELECT count(*) AS n FROM rejected_pushes');
    expect(await pollUntil(rows, (n) => n === 1, 30_000, 250)).toBe(1);
    const listed = await admin(service(), 'GET', '/admin/rejected-pushes');
    expect(listed.body.items.map((i: { rawBody: string }) => JSON.parse(i.rawBody))).toEqual([recent]);
    const stats = await admin(service(), 'GET', '/admin/stats');
    expect(stats.body.pushes).toMatchObject({
      rejected: 3,
      rejectedByKind: { status: 2, cdr: 1 },
      rejectedDistinctBodies: 2,
      rejectedExpired: 2,
    });
    const metrics = await (await fetch(`${service().url}/metrics`)).text();
    expect(metricValue(metrics, 'voice_push_rejected_pushes', { kind: 'status' })).toBe(2);
    expect(metricValue(metrics, 'voice_push_rejected_pushes', { kind: 'cdr' })).toBe(1);
  }, 45_000);
});

describe('admin: rejected pushes and replay', () => {
  const service = useTestService({ ADMIN_TOKEN: TOKEN });

  test('lists newest first, filters by kind, pages with a cursor', async () => {
    // 11 status bodies and a CDR: ids past 9, so a text-ordered id would show
    const bodies = Array.from({ length: 11 }, (_, i) => ({ callId: `${uniqueCallId()}-${i}` }));
    for (const body of bodies) expect((await service().post('/v1/push/status', body)).status).toBe(400);
    expect((await service().post('/v1/push/cdr', { callId: uniqueCallId() })).status).toBe(400);

    const all = await admin(service(), 'GET', '/admin/rejected-pushes');
    expect(all.status).toBe(200);
    const ids = all.body.items.map((i: { id: string }) => Number(i.id));
    expect(ids).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(all.body.items[0].kind).toBe('cdr');
    expect(all.body.nextCursor).toBeNull();

    const first = await admin(service(), 'GET', '/admin/rejected-pushes?kind=status&limit=2');
    expect(first.body.items.map((i: { rawBody: string }) => JSON.parse(i.rawBody))).toEqual([bodies[10], bodies[9]]);
    expect(first.body.items[0]).toEqual({
      id: '11',
      kind: 'status',
      reason: expect.stringContaining('INVALID_PUSH'),
      violations: expect.arrayContaining([expect.objectContaining({ field: 'accountId' })]),
      rawBody: JSON.stringify(bodies[10]),
      count: 1,
      firstSeenAt: expect.stringMatching(/Z$/),
      lastSeenAt: expect.stringMatching(/Z$/),
      statusCode: 400,
      contentType: 'application/json',
      bodyBytes: JSON.stringify(bodies[10]).length,
      truncated: false,
      replayedAt: null,
    });
    const seen = [...first.body.items];
    let cursor: string | null = first.body.nextCursor;
    while (cursor !== null) {
      const page = await admin(service(), 'GET', `/admin/rejected-pushes?kind=status&limit=2&cursor=${cursor}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    }
    expect(seen.map((i) => JSON.parse(i.rawBody))).toEqual([...bodies].reverse());

    for (const [query, field] of [['limit=501', 'limit'], ['limit=0', 'limit'], ['limit=1e2', 'limit'], ['limit=0x5', 'limit'], ['kind=sms', 'kind'], ['cursor=abc', 'cursor'], ['knd=cdr', 'knd'], ['kind=status&kind=cdr', 'kind']]) {
      const answer = await admin(service(), 'GET', `/admin/rejected-pushes?${query}`);
      // GET /v1/calls' answer: the code, and a violation naming the parameter
      expect({ query, status: answer.status, body: answer.body }).toEqual({
        query,
        status: 400,
        body: { error: 'INVALID_QUERY', message: 'bad query parameters', violations: [{ field, reason: expect.any(String) }] },
      });
    }
    // every bad parameter named at once, not the first only
    const several = await admin(service(), 'GET', '/admin/rejected-pushes?knd=cdr&kind=sms&limit=0&cursor=abc');
    expect(several.body.violations.map((v: { field: string }) => v.field)).toEqual(['knd', 'kind', 'limit', 'cursor']);
  });

  test('a rejected push, fixed and replayed, becomes a call', async () => {
    const callId = uniqueCallId();
    const good = statusWire({ callId, eventType: 1, eventTime: 1_700_000_000 });
    const { accountId: _dropped, ...broken } = good;
    const refused = await service().post('/v1/push/status', broken);
    expect(refused.status).toBe(400);
    const [row] = (await service().db.query(`SELECT id::text AS id FROM rejected_pushes WHERE raw_body = $1`, [JSON.stringify(broken)])) as {
      id: string;
    }[];

    // replayed as it is, it is still refused: the ingestion's own answer, and the evidence untouched
    const before = (await admin(service(), 'GET', `/admin/rejected-pushes/${row!.id}`)).body;
    const rowsBefore = await count(service(), 'SELECT count(*) AS n FROM rejected_pushes');
    const again = await admin(service(), 'POST', `/admin/rejected-pushes/${row!.id}/replay`);
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ error: 'INVALID_PUSH', violations: [expect.objectContaining({ field: 'accountId' })] });
    expect((await service().get(`/v1/calls/${callId}`)).status).toBe(404);
    expect((await admin(service(), 'GET', `/admin/rejected-pushes/${row!.id}`)).body).toEqual(before); // count 1: as often as the sender sent it
    // a fix that still fails is not kept as if a sender had sent it
    const stillBad = await admin(service(), 'POST', `/admin/rejected-pushes/${row!.id}/replay`, { body: { rawBody: { ...broken, eventType: 'x' } } });
    expect(stillBad.status).toBe(400);
    expect(await count(service(), 'SELECT count(*) AS n FROM rejected_pushes')).toBe(rowsBefore);

    // fixed by the operator: accepted, a call, the row marked replayed
    const fixed = await admin(service(), 'POST', `/admin/rejected-pushes/${row!.id}/replay`, { body: { rawBody: JSON.stringify(good) } });
    expect(fixed).toEqual({ status: 200, body: { accepted: true, duplicate: false, callId } });
    expect((await getCall(service(), callId)).callState).toBe('INITIATED');
    const listed = await admin(service(), 'GET', `/admin/rejected-pushes/${row!.id}`);
    expect(listed.body.replayedAt).toEqual(expect.stringMatching(/Z$/));
    expect(listed.body.rawBody).toBe(JSON.stringify(broken)); // the evidence stays as sent

    // the fix may be given as a JSON object too; replaying the same push again is a duplicate
    const twice = await admin(service(), 'POST', `/admin/rejected-pushes/${row!.id}/replay`, { body: { rawBody: good } });
    expect(twice).toEqual({ status: 200, body: { accepted: true, duplicate: true, callId } });

    const audit = await auditRows(service(), 'replay-rejected-push');
    expect(audit.slice(-4).map((a) => [a.status_code, a.arguments.id, a.result?.error ?? a.result?.accepted])).toEqual([
      [400, row!.id, 'INVALID_PUSH'],
      [400, row!.id, 'INVALID_PUSH'],
      [200, row!.id, true],
      [200, row!.id, true],
    ]);
    expect(audit.at(-2)!.arguments).toEqual({ id: row!.id, kind: 'status', rawBody: JSON.stringify(good) });
  });

  test('a push refused for its content type (415) is replayed as application/json', async () => {
    const call = anAnsweredWireCall();
    const refused = await service().post('/v1/push/status', JSON.stringify(call.statuses[0]), 'text/plain');
    expect(refused.status).toBe(415);
    const [row] = (await service().db.query(`SELECT id::text AS id FROM rejected_pushes WHERE status_code = 415 ORDER BY id DESC LIMIT 1`)) as {
      id: string;
    }[];
    const replayed = await admin(service(), 'POST', `/admin/rejected-pushes/${row!.id}/replay`);
    expect(replayed).toEqual({ status: 200, body: { accepted: true, duplicate: false, callId: call.callId } });
    expect((await getCall(service(), call.callId)).status).toBe('OPEN');
  });

  test('unknown id → 404, bad replay body → 400, both audited', async () => {
    expect((await admin(service(), 'POST', '/admin/rejected-pushes/999999/replay')).body.error).toBe('NOT_FOUND');
    expect((await admin(service(), 'POST', '/admin/rejected-pushes/abc/replay')).status).toBe(404);
    const badJson = await admin(service(), 'POST', '/admin/rejected-pushes/1/replay', { body: '{"rawBody":' });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error).toBe('INVALID_JSON');
    expect((await admin(service(), 'POST', '/admin/rejected-pushes/1/replay', { body: { rawBody: 5 } })).status).toBe(400);
    const audit = await auditRows(service(), 'replay-rejected-push');
    expect(audit.slice(-4).map((a) => a.status_code)).toEqual([404, 404, 400, 400]);
  });

  test('a fix of a push near its 64 KiB limit is read whole (the request around it is larger); past 1 MiB → 413, not "broken JSON"', async () => {
    const callId = uniqueCallId();
    const good: WireBody = { ...statusWire({ callId, eventType: 1, eventTime: 1_700_000_000 }), padding: '' };
    good.padding = 'x'.repeat(64 * 1024 - 10 - Buffer.byteLength(JSON.stringify(good)));
    const { accountId: _dropped, ...broken } = good;
    expect((await service().post('/v1/push/status', broken)).status).toBe(400);
    const [row] = (await service().db.query(`SELECT id::text AS id FROM rejected_pushes WHERE raw_body LIKE $1`, [`%${callId}%`])) as { id: string }[];
    const fix = JSON.stringify(good);
    expect(Buffer.byteLength(JSON.stringify({ rawBody: fix }))).toBeGreaterThan(64 * 1024 + 1); // the wrapped fix is over a push's limit
    const replayed = await admin(service(), 'POST', `/admin/rejected-pushes/${row!.id}/replay`, { body: { rawBody: fix } });
    expect(replayed).toEqual({ status: 200, body: { accepted: true, duplicate: false, callId } });
    const huge = await admin(service(), 'POST', `/admin/rejected-pushes/${row!.id}/replay`, { body: { rawBody: 'x'.repeat(1024 * 1024) } });
    expect(huge.status).toBe(413);
    expect(huge.body.error).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('admin: replay of a row whose raw_body text is not the bytes received', () => {
  const service = useTestService({ ADMIN_TOKEN: TOKEN });
  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest();
  const rowIdOf = async (body: Buffer): Promise<string> =>
    ((await service().db.query(`SELECT id::text AS id FROM rejected_pushes WHERE body_sha256 = $1`, [sha256(body)])) as { id: string }[])[0]!.id;

  test('a row kept by the earlier version (its bytes that are not UTF-8 read as U+FFFD) → 409 unless the text is sent, audited; a UTF-8 body holding U+FFFD and NUL is replayed as usual', async () => {
    const callId = uniqueCallId();
    const good = statusWire({ callId, eventType: 1, eventTime: 1_700_000_000, userData: 'café' });
    // as the earlier version kept a latin1 push refused for its content type: decoded as UTF-8, é became U+FFFD
    const latin1 = Buffer.from(JSON.stringify(good), 'latin1');
    expect(latin1.toString('utf8')).toContain('caf\uFFFD');
    const [{ id }] = (await service().db.query(
      `INSERT INTO rejected_pushes (kind, status_code, reason, content_type, raw_body, body_bytes, truncated, body_sha256)
       VALUES ('status', 415, 'UNSUPPORTED_MEDIA_TYPE: a push is application/json', 'text/plain; charset=iso-8859-1', $1, $2, false, $3)
       RETURNING id::text AS id`,
      [latin1.toString('utf8'), latin1.length, sha256(latin1)],
    )) as [{ id: string }];

    const refused = await admin(service(), 'POST', `/admin/rejected-pushes/${id}/replay`);
    expect(refused).toEqual({
      status: 409,
      body: { error: 'CONFLICT', message: expect.stringMatching(/the kept text is not the bytes received.*send the push's text as rawBody/) },
    });
    expect((await service().get(`/v1/calls/${callId}`)).status).toBe(404);
    expect((await auditRows(service(), 'replay-rejected-push')).at(-1)).toMatchObject({ status_code: 409, arguments: { id, kind: 'status' } });

    const fixed = await admin(service(), 'POST', `/admin/rejected-pushes/${id}/replay`, { body: { rawBody: JSON.stringify(good) } });
    expect(fixed).toEqual({ status: 200, body: { accepted: true, duplicate: false, callId } });
    const [event] = (await service().db.query(`SELECT metadata FROM events WHERE stream_id = $1`, [callId])) as { metadata: any }[];
    expect(event!.metadata.rawPush.userData).toBe('café');

    // UTF-8 bodies holding U+FFFD as sent: one with a NUL byte (kept as the text \u0000), one with the JSON escape \u0000
    const withNul = Buffer.from(`{"callId":"${uniqueCallId()}","userData":"\uFFFD\u0000"}`, 'utf8');
    const withEscape = Buffer.from(`{"callId":"${uniqueCallId()}","userData":"\uFFFD\\u0000"}`, 'utf8');
    for (const body of [withNul, withEscape]) {
      expect((await service().post('/v1/push/status', body)).status).toBe(400);
      const again = await admin(service(), 'POST', `/admin/rejected-pushes/${await rowIdOf(body)}/replay`);
      expect({ body: body.toString(), status: again.status }).toEqual({ body: body.toString(), status: 400 }); // refused as ever, not 409
    }
  });

  test('a row kept in base64: a cut one says the bytes kept, not the base64 length; a whole one is replayed as its bytes (refused as not UTF-8)', async () => {
    const head = JSON.stringify(statusWire({ callId: uniqueCallId(), eventType: 1, eventTime: 1_700_000_000, userData: '' }));
    const latin1 = (size: number) => Buffer.concat([Buffer.from(head.slice(0, -2)), Buffer.alloc(size - head.length, 0xe9), Buffer.from(head.slice(-2))]);
    const oversized = latin1(70_004);
    expect((await service().post('/v1/push/status', oversized)).status).toBe(413);
    // its hash is not the whole body's (the body is cut while read): found by its size
    const [{ id: cutId }] = (await service().db.query(`SELECT id::text AS id FROM rejected_pushes WHERE body_bytes = 70004 AND truncated`)) as [{ id: string }];
    const cut = await admin(service(), 'POST', `/admin/rejected-pushes/${cutId}/replay`);
    expect(cut).toEqual({ status: 409, body: { error: 'CONFLICT', message: expect.stringContaining('kept cut to 65536 of its 70004 bytes') } });

    const whole = latin1(1_000);
    expect((await service().post('/v1/push/status', whole)).status).toBe(400);
    const again = await admin(service(), 'POST', `/admin/rejected-pushes/${await rowIdOf(whole)}/replay`);
    expect(again).toEqual({ status: 400, body: { error: 'INVALID_JSON', message: expect.stringContaining('not valid UTF-8') } });
  });
});

/** A rebuild job on `service`, polled until it has ended. */
const rebuildEnded = (service: TestService, jobId: string): Promise<any> =>
  pollUntil(
    async () => (await admin(service, 'GET', `/admin/projections/rebuild/${jobId}`)).body,
    (j) => j.status !== 'running',
    20_000,
    50,
  );

/**
 * Starts a rebuild on `service` while a transaction of the test holds `callId`'s row, and runs
 * `meanwhile` once the rebuild waits on it (its batch of streams read); the row is let go after.
 * Answers the jobId.
 */
async function rebuildHeldOn(service: TestService, callId: string, meanwhile: (jobId: string) => Promise<void>): Promise<string> {
  let jobId = '';
  await service.db.transaction(async (tx) => {
    await tx.query('SELECT 1 FROM calls WHERE call_id = $1 FOR UPDATE', [callId]);
    const started = await admin(service, 'POST', '/admin/projections/rebuild');
    expect(started.status).toBe(202);
    jobId = started.body.jobId;
    const waitingOnLock = await pollUntil(
      async () =>
        ((await service.db.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        )) as { n: number }[])[0]!.n,
      (n) => n > 0,
      10_000,
      10,
    );
    expect(waitingOnLock).toBeGreaterThan(0);
    await meanwhile(jobId);
  });
  return jobId;
}

describe('admin: POST /admin/projections/rebuild', () => {
  const service = useTestService({ ADMIN_TOKEN: TOKEN });

  const snapshot = () => service().db.query(`SELECT * FROM calls ORDER BY call_id`) as Promise<Record<string, unknown>[]>;

  const ended = (jobId: string) => rebuildEnded(service(), jobId);

  async function rebuild(): Promise<any> {
    const started = await admin(service(), 'POST', '/admin/projections/rebuild');
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ jobId: expect.any(String), status: 'running' });
    const job = await ended(started.body.jobId);
    expect(job.status).toBe('succeeded');
    return job;
  }

  test('the rebuilt read model equals the live one, row for row, and repairs a damaged one', async () => {
    const calls = Array.from({ length: 12 }, () => anAnsweredWireCall());
    for (const [i, call] of calls.entries()) {
      if (i % 3 === 0) await sendCall(service(), call, false); // open
      else if (i % 3 === 1) {
        await push(service(), 'cdr', call.cdr); // CDR first, then statuses (late ones)
        for (const s of call.statuses) await push(service(), 'status', s);
      } else await sendCall(service(), call); // finalised, then a duplicate
      if (i % 3 === 2) await push(service(), 'status', call.statuses[0]!);
    }
    const forced = await admin(service(), 'POST', `/admin/calls/${calls[0]!.callId}/finalize`, { body: { reason: 'test' } });
    expect(forced.status).toBe(200);
    const live = await snapshot();
    expect(live).toHaveLength(12);

    // untouched: nothing to repair
    const clean = await rebuild();
    expect(clean).toMatchObject({ streams: 12, rowsChanged: 0, orphansDeleted: 0 });
    expect(await snapshot()).toEqual(live);

    // damaged: a row lost, a row wrong, a row with no events behind it
    await service().db.query(`DELETE FROM calls WHERE call_id = $1`, [calls[1]!.callId]);
    await service().db.query(`UPDATE calls SET view = '{}', status = 'OPEN', cdr_overdue = true WHERE call_id = $1`, [calls[2]!.callId]);
    // (orphans are deleted 5,000 rows of `calls` at a time: these span three batches, among the live rows)
    await service().db.query(
      `INSERT INTO calls (call_id, status, reconciliation_status, version, opened_at, last_push_at, view)
       SELECT 'orphan-' || n, 'OPEN', 'PENDING', 1, now(), now(), '{}' FROM generate_series(1, 10001) AS n`,
    );
    const repaired = await rebuild();
    expect(repaired).toMatchObject({ streams: 12, rowsChanged: 2, orphansDeleted: 10001, error: null });
    expect(await snapshot()).toEqual(live);

    // the service keeps working on the rebuilt model
    await push(service(), 'cdr', calls[3]!.cdr);
    expect((await getCall(service(), calls[3]!.callId)).status).toBe('FINALIZED');

    // stats show the last job; the audit row holds the start and the final outcome
    expect((await admin(service(), 'GET', '/admin/stats')).body.rebuild).toMatchObject({ id: repaired.id, status: 'succeeded' });
    const audit = await pollUntil(
      () => auditRows(service(), 'rebuild-projections'),
      (rows) => rows.length === 2 && rows.every((r) => r.result?.finished),
    );
    expect(audit.map((a) => [a.status_code, a.result.finished.status, a.result.finished.rowsChanged])).toEqual([
      [202, 'succeeded', 0],
      [202, 'succeeded', 2],
    ]);
  });

  test('pushes are taken while a rebuild runs', async () => {
    // the rebuild held on one call's row, so it is certainly still running while a new call is
    // pushed (its batch of streams is read: the new call is not in it)
    const [held] = await snapshot();
    const call = anAnsweredWireCall();
    let statusWhenAnswered: string | undefined;
    const jobId = await rebuildHeldOn(service(), held!.call_id as string, async (id) => {
      await sendCall(service(), call);
      statusWhenAnswered = (await admin(service(), 'GET', `/admin/projections/rebuild/${id}`)).body.status;
    });
    expect(statusWhenAnswered).toBe('running');
    expect(await ended(jobId)).toMatchObject({ status: 'succeeded', error: null });
    expect((await getCall(service(), call.callId)).status).toBe('FINALIZED');
  });

  test('a row locked past the statement timeout delays the rebuild, not fails it', async () => {
    const call = anAnsweredWireCall();
    await sendCall(service(), call);
    // held, once the rebuild waits on it, past its write's statement timeout
    const jobId = await rebuildHeldOn(service(), call.callId, () => new Promise((pause) => setTimeout(pause, 2_000)));
    expect(await ended(jobId)).toMatchObject({ status: 'succeeded', error: null });
    expect((await getCall(service(), call.callId)).status).toBe('FINALIZED');
  });

  test('an unknown job → 404', async () => {
    expect((await admin(service(), 'GET', '/admin/projections/rebuild/nope')).status).toBe(404);
  });
});

describe('admin: POST /admin/outbox/republish', () => {
  const service = useTestService({ ADMIN_TOKEN: TOKEN });

  /** Starts a republish (202 with the running job) and polls the job until it ends. */
  async function republish(body: unknown): Promise<any> {
    const started = await admin(service(), 'POST', '/admin/outbox/republish', { body });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ jobId: expect.any(String), status: 'running' });
    return pollUntil(
      async () => (await admin(service(), 'GET', `/admin/outbox/republish/${started.body.jobId}`)).body,
      (job) => job.status !== 'running',
      20_000,
      50,
    );
  }

  test('re-enqueues one call-events row per event after the position, and the view of each finalised call', async () => {
    const finalised = [anAnsweredWireCall(), anAnsweredWireCall()];
    for (const call of finalised) await sendCall(service(), call);
    const open = anAnsweredWireCall();
    await sendCall(service(), open, false);

    const events = await count(service(), 'SELECT count(*) AS n FROM events');
    const before = await count(service(), 'SELECT count(*) AS n FROM outbox');
    const all = await republish({ fromPosition: 0 });
    expect(all).toMatchObject({ status: 'succeeded', fromPosition: '0', startedAfterPosition: '0', events, callEvents: events, finalizedViews: 2, enqueued: events + 2 });
    // no Kafka configured: the rows stay in the outbox
    expect(await count(service(), 'SELECT count(*) AS n FROM outbox')).toBe(before + events + 2);

    // the republished rows are the live ones again (as the relay reads them from the log): same eventIds, same envelopes
    await logSettled(service().db);
    const live = await readCallEvents(service().db, 10_000);
    const liveRows = live.messages.map((m) => ({ topic: m.topic, key: m.key, value: JSON.parse(m.value as string), headers: m.headers }));
    expect(liveRows).toHaveLength(events);
    const again = (await service().db.query(
      `SELECT topic, key, value, headers FROM outbox WHERE position IS NOT NULL ORDER BY id`,
    )) as unknown[];
    const sortById = (rows: any[]) => [...rows].sort((a, b) => a.value.eventId.localeCompare(b.value.eventId));
    expect(sortById(again).map((r) => ({ ...r, value: { ...r.value, position: undefined } }))).toEqual(
      sortById(liveRows).map((r: any) => ({ ...r, value: { ...r.value, position: undefined } })),
    );
    const views = (await service().db.query(
      `SELECT key, value FROM outbox WHERE topic = 'voice.calls.finalized.v1' ORDER BY id DESC LIMIT 2`,
    )) as { key: string; value: any }[];
    expect(views.map((v) => v.key).sort()).toEqual(finalised.map((c) => c.callId).sort());
    for (const v of views) expect(v.value).toEqual(await getCall(service(), v.key));

    // from the second-to-last position: only the last event (a status of the open call) is walked.
    // No Kafka here, so no relay: the walk starts after N although the relay's checkpoint is still
    // at the start, and enqueues no call event, every one being still to go from the log, in order
    const [{ max }] = (await service().db.query(`SELECT max(position)::text AS max FROM events`)) as { max: string }[];
    const tail = await republish({ fromPosition: String(BigInt(max) - 1n) });
    expect(tail).toMatchObject({
      status: 'succeeded',
      startedAfterPosition: String(BigInt(max) - 1n),
      toPosition: max,
      events: 1,
      callEvents: 0,
      enqueued: 0,
      finalizedViews: 0,
    });

    // stats show the last job; the audit row holds the start and the final outcome
    expect((await admin(service(), 'GET', '/admin/stats')).body.republish).toEqual(tail);
    // a job that has ended cannot be cancelled; one that is unknown here is 404
    expect((await admin(service(), 'DELETE', `/admin/outbox/republish/${tail.id}`)).status).toBe(409);
    expect((await admin(service(), 'DELETE', '/admin/outbox/republish/no-such-job')).status).toBe(404);
    const audit = await pollUntil(
      () => auditRows(service(), 'republish-outbox'),
      (rows) => rows.length === 2 && rows.every((r) => r.result?.finished),
    );
    expect(await auditRows(service(), 'cancel-republish-outbox')).toMatchObject([
      { status_code: 409, arguments: { jobId: tail.id } },
      { status_code: 404, arguments: { jobId: 'no-such-job' } },
    ]);
    expect(audit.map((a) => [a.status_code, a.arguments.fromPosition, a.result.started.status, a.result.finished.enqueued])).toEqual([
      [202, 0, 'running', events + 2],
      [202, String(BigInt(max) - 1n), 'running', 0],
    ]);
  });

  test('a bad body → 400 (audited), nothing enqueued', async () => {
    const before = await count(service(), 'SELECT count(*) AS n FROM outbox');
    for (const body of ['{"fromPosition":', '[]', {}, { fromPosition: -1 }, { fromPosition: 1.5 }, { fromPosition: 'x' }]) {
      const answer = await admin(service(), 'POST', '/admin/outbox/republish', { body });
      expect(answer.status).toBe(400);
    }
    expect((await admin(service(), 'POST', '/admin/outbox/republish')).status).toBe(400);
    expect(await count(service(), 'SELECT count(*) AS n FROM outbox')).toBe(before);
    expect((await auditRows(service(), 'republish-outbox')).filter((a) => a.status_code === 400)).toHaveLength(7);
  });

  test("a republish running on another instance (its hold on the log) → 409 naming its job (audited), nothing enqueued", async () => {
    const before = await count(service(), 'SELECT count(*) AS n FROM outbox');
    await service().db.query(`INSERT INTO relay_holds (name, held_until) VALUES ('republish job-elsewhere', now() + interval '1 minute')`);
    try {
      const answer = await admin(service(), 'POST', '/admin/outbox/republish', { body: { fromPosition: 0 } });
      expect(answer.status).toBe(409);
      expect(answer.body).toMatchObject({ error: 'CONFLICT', jobId: 'job-elsewhere' });
    } finally {
      await service().db.query(`DELETE FROM relay_holds`);
    }
    expect(await count(service(), 'SELECT count(*) AS n FROM outbox')).toBe(before);
    expect((await auditRows(service(), 'republish-outbox')).filter((a) => a.status_code === 409)).toHaveLength(1);
  });

  test('an unknown job → 404', async () => {
    const answer = await admin(service(), 'GET', '/admin/outbox/republish/nope');
    expect(answer.status).toBe(404);
    expect(answer.body.error).toBe('NOT_FOUND');
  });
});

describe('admin: POST /admin/calls/{callId}/finalize', () => {
  const service = useTestService({ ADMIN_TOKEN: TOKEN });

  test('force-finalises an open call once; 409 after; 404 for an unknown call; 409 for a call with a CDR', async () => {
    const call = anAnsweredWireCall();
    await sendCall(service(), call, false);

    const done = await admin(service(), 'POST', `/admin/calls/${call.callId}/finalize`, { body: { reason: 'carrier lost the CDR' } });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ callId: call.callId, status: 'FINALIZED_WITHOUT_CDR', callState: 'ENDED' });
    expect(await getCall(service(), call.callId)).toEqual(done.body);

    const twice = await admin(service(), 'POST', `/admin/calls/${call.callId}/finalize`);
    expect(twice.status).toBe(409);
    expect(twice.body.error).toBe('CONFLICT');

    const unknown = await admin(service(), 'POST', `/admin/calls/${uniqueCallId()}/finalize`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('NOT_FOUND');

    const withCdr = anAnsweredWireCall();
    await sendCall(service(), withCdr);
    expect((await admin(service(), 'POST', `/admin/calls/${withCdr.callId}/finalize`)).status).toBe(409);

    expect((await admin(service(), 'POST', `/admin/calls/${call.callId}/finalize`, { body: '{bad' })).status).toBe(400);

    const audit = await auditRows(service(), 'force-finalise-call');
    expect(audit.map((a) => [a.status_code, a.arguments.callId])).toEqual([
      [200, call.callId],
      [409, call.callId],
      [404, expect.any(String)],
      [409, withCdr.callId],
      [400, call.callId],
    ]);
    expect(audit[0]!.arguments.reason).toBe('carrier lost the CDR');
    expect(audit[0]!.result.status).toBe('FINALIZED_WITHOUT_CDR');
    const history = await service().get(`/v1/calls/${call.callId}/history`);
    expect(history.body.at(-1)).toMatchObject({ type: 'CallForceFinalised', data: { reason: 'carrier lost the CDR' } });
  });

  test('text Postgres cannot store (U+0000) in the reason → 400, in the callId → 404; both audited (escaped), never a 500', async () => {
    const call = anAnsweredWireCall();
    await sendCall(service(), call, false);
    const before = (await auditRows(service(), 'force-finalise-call')).length;
    const badReason = await admin(service(), 'POST', `/admin/calls/${call.callId}/finalize`, { body: { reason: 'a\u0000b' } });
    expect(badReason.status).toBe(400);
    const badCall = await admin(service(), 'POST', '/admin/calls/a%00b/finalize');
    expect(badCall.status).toBe(404);
    const audit = (await auditRows(service(), 'force-finalise-call')).slice(before);
    expect(audit.map((a) => [a.status_code, a.arguments.callId])).toEqual([
      [400, call.callId],
      [404, 'a\\u0000b'],
    ]);
    expect((await getCall(service(), call.callId)).status).toBe('OPEN');
  });
});

describe('admin: the OpenAPI document says what the admin routes answer', () => {
  const service = useTestService({ ADMIN_TOKEN: TOKEN });

  test("each answer matches its documented schema: stats, rejected pushes, the jobs, a forced finalise, and the refusals", async () => {
    const { body: doc } = await service().get('/docs-json');
    const documented = (path: string, method: string, status: number) => {
      const response = doc.paths[path]?.[method]?.responses?.[String(status)];
      expect({ path, method, status, documented: response !== undefined }).toEqual({ path, method, status, documented: true });
      return response.content?.['application/json']?.schema ?? {};
    };
    const check = (answer: HttpAnswer, path: string, method: string) => {
      expect({ path, method, mismatches: schemaMismatches(answer.body, documented(path, method, answer.status)) }).toEqual({ path, method, mismatches: [] });
    };
    const call = anAnsweredWireCall();
    await push(service(), 'status', call.statuses[0]!);
    expect((await service().post('/v1/push/status', { callId: 'x' })).status).toBe(400); // one rejected push

    check(await admin(service(), 'GET', '/admin/stats'), '/admin/stats', 'get');
    const list = await admin(service(), 'GET', '/admin/rejected-pushes?limit=5');
    expect(list.body.items.length).toBeGreaterThan(0);
    check(list, '/admin/rejected-pushes', 'get');
    check(await admin(service(), 'GET', `/admin/rejected-pushes/${list.body.items[0].id}`), '/admin/rejected-pushes/{id}', 'get');
    check(await admin(service(), 'GET', '/admin/rejected-pushes/999999'), '/admin/rejected-pushes/{id}', 'get');
    check(await admin(service(), 'GET', '/admin/rejected-pushes?limit=0'), '/admin/rejected-pushes', 'get');
    const fixed = JSON.stringify({ accountId: '10001', callId: uniqueCallId(), eventType: 1, eventTime: '1700000000' });
    const replayed = await admin(service(), 'POST', `/admin/rejected-pushes/${list.body.items[0].id}/replay`, { body: { rawBody: fixed } });
    expect(replayed.status).toBe(200);
    check(replayed, '/admin/rejected-pushes/{id}/replay', 'post');
    const rebuild = await admin(service(), 'POST', '/admin/projections/rebuild');
    expect(rebuild.status).toBe(202);
    check(rebuild, '/admin/projections/rebuild', 'post');
    check(await admin(service(), 'GET', `/admin/projections/rebuild/${rebuild.body.jobId}`), '/admin/projections/rebuild/{id}', 'get');
    check(await admin(service(), 'POST', '/admin/outbox/republish', { body: { fromPosition: -1 } }), '/admin/outbox/republish', 'post');
    check(await admin(service(), 'POST', `/admin/calls/${call.callId}/finalize`, { body: { reason: 'test' } }), '/admin/calls/{callId}/finalize', 'post');
    check(await admin(service(), 'POST', `/admin/calls/${call.callId}/finalize`, { body: { reason: 5 } }), '/admin/calls/{callId}/finalize', 'post');
    check(await admin(service(), 'GET', '/admin/stats', { token: null }), '/admin/stats', 'get');
    // the documented bodies of the routes that take one
    expect(doc.paths['/admin/outbox/republish'].post.requestBody.content['application/json'].schema.required).toEqual(['fromPosition']);
    expect(doc.paths['/admin/calls/{callId}/finalize'].post.requestBody.content['application/json'].schema.properties.reason).toBeDefined();
    expect(doc.paths['/admin/rejected-pushes/{id}/replay'].post.requestBody.content['application/json'].schema.properties.rawBody).toBeDefined();
    expect(doc.components.securitySchemes.admin.bearerFormat).not.toBe('JWT');
  });
});

describe('admin: ADMIN_PORT', () => {
  let service: TestService;
  let adminUrl: string;
  beforeAll(async () => {
    const port = await freePort();
    service = await startTestService({ ADMIN_TOKEN: TOKEN, ADMIN_PORT: String(port), HOST: '127.0.0.1' });
    adminUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await service?.close();
  });

  test("a request the admin port cannot read as HTTP gets 400 in contract §1's shape, as on the push port", async () => {
    const garbled = await openRawConnection(Number(new URL(adminUrl).port), 'NOT HTTP AT ALL\r\n\r\n');
    await garbled.closed;
    const answer = parseRawAnswer(garbled.received());
    expect({ status: answer.status, body: JSON.parse(answer.body) }).toEqual({ status: 400, body: { error: 'BAD_REQUEST', message: expect.any(String) } });
  });

  test("the push port's OpenAPI document lists no admin route: there they would answer 404", async () => {
    const { body: doc } = await service.get('/docs-json');
    expect(Object.keys(doc.paths).filter((path) => path.startsWith('/admin'))).toEqual([]);
    expect(doc.paths['/v1/calls']).toBeDefined();
    expect(doc.info.description).toMatch(/ADMIN_PORT/);
  });

  test('admin routes are served on ADMIN_PORT only; the push port answers 404 for /admin/*', async () => {
    const onAdmin = await admin(service, 'GET', '/admin/stats', { base: adminUrl });
    expect(onAdmin.status).toBe(200);
    expect(onAdmin.body.pushes).toBeDefined();
    expect((await admin(service, 'GET', '/admin/stats', { base: adminUrl, token: null })).status).toBe(401);

    for (const path of ['/admin/stats', '/admin/rejected-pushes', '/%61dmin/stats', '/admin/nope']) {
      const onPush = await admin(service, 'GET', path);
      expect({ path, status: onPush.status, error: onPush.body.error }).toEqual({ path, status: 404, error: 'NOT_FOUND' });
    }
    // a long URL: the admin route's 404 is a missing route's, word for word (and cut the same)
    const long = 'x'.repeat(5_000);
    const adminLong = await admin(service, 'GET', `/admin/stats?q=${long}`);
    const nowhereLong = await admin(service, 'GET', `/admin/statz?q=${long}`);
    expect(adminLong).toEqual({ status: 404, body: { error: 'NOT_FOUND', message: expect.stringMatching(/^Cannot GET \/admin\/stats\?q=x+…$/) } });
    expect(adminLong.body.message.length).toBeLessThanOrEqual(320);
    expect(nowhereLong).toEqual({ status: 404, body: { error: 'NOT_FOUND', message: adminLong.body.message.replace('/admin/stats', '/admin/statz') } });
    const call = anAnsweredWireCall();
    await push(service, 'status', call.statuses[0]!);
    const forcedOnPush = await admin(service, 'POST', `/admin/calls/${call.callId}/finalize`);
    expect(forcedOnPush.status).toBe(404);
    expect((await getCall(service, call.callId)).status).toBe('OPEN');

    // the admin port serves nothing else
    expect((await admin(service, 'GET', `/v1/calls/${call.callId}`, { base: adminUrl })).status).toBe(404);
    expect((await admin(service, 'GET', '/health/live', { base: adminUrl })).status).toBe(404);
    const pushOnAdmin = await fetch(`${adminUrl}/v1/push/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(call.statuses[1]),
    });
    expect(pushOnAdmin.status).toBe(404);

    // a POST with a body works through the admin port
    const forced = await admin(service, 'POST', `/admin/calls/${call.callId}/finalize`, { base: adminUrl, body: { reason: 'x' } });
    expect(forced.status).toBe(200);
    expect(forced.body.status).toBe('FINALIZED_WITHOUT_CDR');
  });
});

describe('admin jobs on two instances behind one address (one database)', () => {
  let db: TempDatabase;
  let a: TestService;
  let b: TestService;

  beforeAll(async () => {
    db = await createTempDatabase();
    // one after the other: the first one runs the migrations
    a = await startTestService({ ADMIN_TOKEN: TOKEN }, { database: db });
    b = await startTestService({ ADMIN_TOKEN: TOKEN }, { database: db });
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  // (a cancel asked on the other instance, read back by the running one: background-jobs.int-spec)
  test('a rebuild started on one instance is one at a time on both, and followed on the other to its end', async () => {
    const call = anAnsweredWireCall();
    await sendCall(a, call);
    // the rebuild on A waits on the call's row: certainly running meanwhile
    const jobId = await rebuildHeldOn(a, call.callId, async (id) => {
      const second = await admin(b, 'POST', '/admin/projections/rebuild');
      expect(second).toEqual({
        status: 409,
        body: { error: 'CONFLICT', jobId: id, message: `rebuild ${id} is still running on another instance` },
      });
      expect((await admin(b, 'GET', `/admin/projections/rebuild/${id}`)).body).toMatchObject({ id, status: 'running' });
      expect((await admin(b, 'GET', '/admin/stats')).body.rebuild).toMatchObject({ id, status: 'running' });
    });
    const ended = await rebuildEnded(b, jobId);
    expect(ended).toMatchObject({ id: jobId, status: 'succeeded', streams: 1, error: null, finishedAt: expect.any(String) });
    expect((await admin(a, 'GET', `/admin/projections/rebuild/${jobId}`)).body).toEqual(ended);
    expect((await admin(b, 'GET', '/admin/stats')).body.rebuild).toEqual(ended);
    expect(await admin(b, 'DELETE', `/admin/projections/rebuild/${jobId}`)).toMatchObject({
      status: 409,
      body: { error: 'CONFLICT', message: `rebuild ${jobId} has ended (succeeded)` },
    });

    // the place is free again, on either instance
    const next = await admin(b, 'POST', '/admin/projections/rebuild');
    expect(next.status).toBe(202);
    expect(await rebuildEnded(a, next.body.jobId)).toMatchObject({ status: 'succeeded', streams: 1 });

    // an id Postgres cannot compare names no job, on either kind
    for (const path of ['/admin/projections/rebuild/%00', '/admin/outbox/republish/abc%00def']) {
      expect(await admin(b, 'GET', path)).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
      expect(await admin(b, 'DELETE', path)).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
    }
  });

  test('a cancel asked on the other instance stops the rebuild where it runs: it ends cancelled', async () => {
    const call = anAnsweredWireCall();
    await sendCall(a, call);
    // the rebuild on A waits on the call's row, past its statement timeout (it tries the batch
    // again after a pause): the row is let go once A has read the cancel back
    const jobId = await rebuildHeldOn(a, call.callId, async (id) => {
      const [{ at }] = (await b.db.query(`SELECT clock_timestamp() AS at`)) as { at: Date }[];
      expect(await admin(b, 'DELETE', `/admin/projections/rebuild/${id}`)).toMatchObject({ status: 202, body: { id, status: 'running' } });
      const read = await pollUntil(
        async () => ((await b.db.query(`SELECT heartbeat_at > $2 AS read FROM admin_jobs WHERE id = $1`, [id, at])) as { read: boolean }[])[0]!.read,
        (r) => r,
        10_000,
        50,
      );
      expect(read).toBe(true);
    });
    const ended = await rebuildEnded(b, jobId);
    expect(ended).toMatchObject({ id: jobId, status: 'cancelled', error: 'cancelled by an operator' });
    expect((await admin(a, 'GET', `/admin/projections/rebuild/${jobId}`)).body).toEqual(ended);
  });
});
