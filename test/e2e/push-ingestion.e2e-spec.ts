import { describe, expect, test } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { MAX_PUSHES_PER_CALL } from '#call-session-domain';
import { metricValue } from '../support/prometheus-text.js';
import { rawPost } from '../support/raw-request.js';
import pg from 'pg';
import { createTempDatabase, DEFAULT_TEST_DATABASE_URL } from '../../libs/event-store/src/testing/temp-database.js';
import { startTestService, useTestService, type TestService } from '../support/test-service.js';

const SAMPLES = resolve(process.cwd(), '../shared/spec/samples');
const sample = (name: string) => JSON.parse(readFileSync(resolve(SAMPLES, name), 'utf8')) as Record<string, unknown>;
const uniqueCallId = () => `e2e-${randomUUID()}`;

const statusPush = (overrides: Record<string, unknown> = {}) => ({
  ...sample('status-spec-example.json'),
  callId: uniqueCallId(),
  ...overrides,
});
const cdrPush = (overrides: Record<string, unknown> = {}) => ({
  ...sample('cdr-spec-example.json'),
  callId: uniqueCallId(),
  ...overrides,
});

async function storedEvents(service: TestService, callId: string) {
  return service.db.query(`SELECT type, version, data, metadata FROM events WHERE stream_id = $1 ORDER BY version`, [callId]);
}
async function rejectedRows(service: TestService, marker: string) {
  return service.db.query(`SELECT kind, status_code, reason, violations, raw_body, count, truncated FROM rejected_pushes WHERE raw_body LIKE $1`, [`%${marker}%`]);
}

describe('push receivers (contract §1)', () => {
  const service = useTestService();

  test.each(readdirSync(SAMPLES).filter((f) => f.endsWith('.json')))('sample %s is accepted with 200', async (file) => {
    const body = { ...sample(file), callId: uniqueCallId() };
    const path = file.startsWith('cdr') ? '/v1/push/cdr' : '/v1/push/status';
    const answer = await service().post(path, body);
    expect(answer).toEqual({ status: 200, body: { accepted: true, duplicate: false, callId: body.callId } });
  });

  test('a new push is stored with its raw body, normalised form, key and receipt time', async () => {
    const push = statusPush({ extraField: 'kept' });
    expect((await service().post('/v1/push/status', push)).status).toBe(200);
    const [event] = await storedEvents(service(), push.callId as string);
    expect(event.type).toBe('StatusRecorded');
    expect(event.metadata.rawPush).toEqual(push);
    expect(event.metadata.idempotencyKey).toBe(`status:${push.callId}:2:1:1607588903`);
    expect(Date.parse(event.metadata.receivedAt)).not.toBeNaN();
    expect(event.data.push.eventTime).toBe(1607588903000);
  });

  test("enumerations.md's upstream extras are kept whatever their type or length: a CDR is never refused over a field nothing reads", async () => {
    const push = cdrPush({ outId: 'o'.repeat(300), verifyResult: '1', phoneNoE: 13800000000, callerShowNumber: null });
    expect((await service().post('/v1/push/cdr', push)).status).toBe(200);
    const [event] = await storedEvents(service(), push.callId as string);
    expect(event.metadata.rawPush).toEqual(push);
  });

  test('the same push three times: stored once, then twice duplicate:true', async () => {
    const push = statusPush();
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await service().post('/v1/push/status', push));
    expect(answers.map((a) => a.body.duplicate)).toEqual([false, true, true]);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(await storedEvents(service(), push.callId as string)).toHaveLength(1);
  });

  test('the same push sent concurrently is stored once', async () => {
    const push = cdrPush();
    const answers = await Promise.all(Array.from({ length: 10 }, () => service().post('/v1/push/cdr', push)));
    expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(1);
    const events = await storedEvents(service(), push.callId as string);
    expect(events.filter((e: { type: string }) => e.type === 'CdrRecorded')).toHaveLength(1);
  });

  test('a status with a known key and different content is a duplicate; the first stays', async () => {
    const push = statusPush();
    await service().post('/v1/push/status', push);
    const changed = await service().post('/v1/push/status', { ...push, caller: '13199999999' });
    expect(changed.body).toMatchObject({ accepted: true, duplicate: true });
    const events = await storedEvents(service(), push.callId as string);
    expect(events).toHaveLength(1);
    expect(events[0].data.push.caller).toBe('13100001111');
  });

  test('a CDR with the same key and different content is a revision, stored', async () => {
    const cdr = cdrPush();
    await service().post('/v1/push/cdr', cdr);
    const revised = await service().post('/v1/push/cdr', { ...cdr, callDuration: 21, cdrCreateTime: 1607588999000 });
    expect(revised.body).toMatchObject({ accepted: true, duplicate: false });
    const cdrs = (await storedEvents(service(), cdr.callId as string)).filter((e: { type: string }) => e.type === 'CdrRecorded');
    expect(cdrs).toHaveLength(2);
  });

  test("a CDR whose retry changes only upstream fields the spec's examples omit (enumerations.md: outId, verifyResult) is a revision, stored with them", async () => {
    const cdr = { ...sample('cdr-axb-verify.json'), callId: uniqueCallId() };
    expect((await service().post('/v1/push/cdr', cdr)).body).toMatchObject({ accepted: true, duplicate: false });
    expect((await service().post('/v1/push/cdr', { ...cdr })).body).toMatchObject({ accepted: true, duplicate: true });
    const revised = await service().post('/v1/push/cdr', { ...cdr, outId: 'order-CHANGED', verifyResult: 0 });
    expect(revised.body).toMatchObject({ accepted: true, duplicate: false });
    const cdrs = (await storedEvents(service(), cdr.callId)).filter((e: { type: string }) => e.type === 'CdrRecorded');
    expect(cdrs.map((e: { data: { push: { upstream: Record<string, unknown> } } }) => [e.data.push.upstream.outId, e.data.push.upstream.verifyResult])).toEqual([
      ['order-778899', 1],
      ['order-CHANGED', 0],
    ]);
  });

  test('a call takes at most MAX_PUSHES_PER_CALL distinct pushes: the next is 400, kept with the reason; what it holds is still a duplicate; its first CDR always comes in', async () => {
    const first = statusPush();
    const callId = first.callId as string;
    const eventTime = Number((first as Record<string, unknown>).eventTime);
    // distinct statuses of one call: each second its own key
    const nth = (i: number) => ({ ...first, eventTime: String(eventTime + i) });
    for (let i = 0; i < MAX_PUSHES_PER_CALL; i++) expect((await service().post('/v1/push/status', nth(i))).status).toBe(200);

    const marker = randomUUID();
    const refused = await service().post('/v1/push/status', { ...nth(MAX_PUSHES_PER_CALL), userData: marker });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'INVALID_PUSH', violations: [{ field: 'callId', reason: expect.stringContaining(`${MAX_PUSHES_PER_CALL} distinct pushes`) }] });
    const [row] = await rejectedRows(service(), marker);
    expect(row).toMatchObject({ kind: 'status', status_code: 400, reason: expect.stringContaining('distinct pushes') });

    // a retry of a push the call holds is answered as before
    expect((await service().post('/v1/push/status', nth(17))).body).toMatchObject({ accepted: true, duplicate: true });
    // its CDR still comes in and finalises it; a revision of it does not
    const cdr = cdrPush({ callId });
    expect((await service().post('/v1/push/cdr', cdr)).body).toMatchObject({ accepted: true, duplicate: false });
    expect((await service().get(`/v1/calls/${callId}`)).body.status).toBe('FINALIZED');
    expect((await service().post('/v1/push/cdr', { ...cdr, callDuration: 21, cdrCreateTime: 1607588999000 })).status).toBe(400);
    // the statuses, the CDR and the finalisation
    expect(await storedEvents(service(), callId)).toHaveLength(MAX_PUSHES_PER_CALL + 2);
  });

  test.each([
    ['the later first', true],
    ['the older first', false],
  ])('a revision with the later cdrCreateTime is authoritative whichever came first (%s); the call says CDR_REVISED', async (_name, laterFirst) => {
    const older = cdrPush({ endTime: 1607588920000, callDuration: 16 });
    const later = { ...older, endTime: 1607588923000, callDuration: 19, cdrCreateTime: 1607588999000 };
    for (const push of laterFirst ? [later, older] : [older, later]) {
      expect((await service().post('/v1/push/cdr', push)).body).toMatchObject({ accepted: true, duplicate: false });
    }
    const view = (await service().get(`/v1/calls/${older.callId}`)).body;
    expect(view).toMatchObject({ status: 'FINALIZED', cdr: { callDuration: 19 }, outcome: { durationSeconds: 19 } });
    expect(view.reconciliation.findings).toContainEqual(expect.objectContaining({ code: 'CDR_REVISED', severity: 'warning' }));
  });

  test('Content-Type with a charset parameter is accepted', async () => {
    const answer = await service().post('/v1/push/status', statusPush(), 'application/json; charset=UTF-8');
    expect(answer.status).toBe(200);
  });

  test('not JSON → 400 INVALID_JSON, kept raw', async () => {
    const marker = randomUUID();
    const answer = await service().post('/v1/push/status', `{"callId": "${marker}",`);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('INVALID_JSON');
    expect(typeof answer.body.message).toBe('string');
    const [row] = await rejectedRows(service(), marker);
    expect(row).toMatchObject({ kind: 'status', status_code: 400, raw_body: `{"callId": "${marker}",`, count: 1 });
  });

  test.each([['[1,2]'], ['"text"'], ['null'], ['42']])('JSON that is not an object (%s) → 400 INVALID_JSON', async (body) => {
    const answer = await service().post('/v1/push/cdr', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('INVALID_JSON');
  });

  test('an empty body → 400 INVALID_JSON', async () => {
    const answer = await service().post('/v1/push/cdr', '');
    expect(answer).toMatchObject({ status: 400, body: { error: 'INVALID_JSON' } });
  });

  test('a push failing validation → 400 INVALID_PUSH with per-field violations, kept with them', async () => {
    const marker = randomUUID();
    const push = statusPush({ userData: marker, eventType: 'two', eventTime: '16075x' });
    delete (push as Record<string, unknown>).accountId;
    const answer = await service().post('/v1/push/status', push);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('INVALID_PUSH');
    const fields = answer.body.violations.map((v: { field: string }) => v.field).sort();
    expect(fields).toEqual(['accountId', 'eventTime', 'eventType']);
    for (const v of answer.body.violations) expect(typeof v.reason).toBe('string');
    const [row] = await rejectedRows(service(), marker);
    expect(row.reason).toContain('INVALID_PUSH');
    expect(row.violations.map((v: { field: string }) => v.field).sort()).toEqual(fields);
  });

  test('the same rejected body again only counts up', async () => {
    const marker = randomUUID();
    const bad = JSON.stringify(cdrPush({ userData: marker, callDuration: -1 }));
    await service().post('/v1/push/cdr', bad);
    await service().post('/v1/push/cdr', bad);
    await service().post('/v1/push/cdr', bad);
    const rows = await rejectedRows(service(), marker);
    expect(rows).toHaveLength(1);
    expect(rows[0].count).toBe(3);
  });

  test('wrong content type → 415 UNSUPPORTED_MEDIA_TYPE, kept raw', async () => {
    const marker = randomUUID();
    const answer = await service().post('/v1/push/status', JSON.stringify(statusPush({ userData: marker })), 'text/plain');
    expect(answer.status).toBe(415);
    expect(answer.body.error).toBe('UNSUPPORTED_MEDIA_TYPE');
    const [row] = await rejectedRows(service(), marker);
    expect(row).toMatchObject({ status_code: 415, count: 1 });
  });

  test('a compressed body (Content-Encoding gzip) → 415 saying so, kept as its bytes; the same JSON uncompressed is stored', async () => {
    const marker = randomUUID();
    const push = statusPush({ userData: marker });
    const gzipped = gzipSync(JSON.stringify(push));
    const response = await fetch(`${service().url}/v1/push/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipped,
    });
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({
      error: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'Content-Encoding "gzip" is not accepted: send the JSON uncompressed',
    });
    const [row] = await service().db.query(`SELECT status_code, raw_body_base64 FROM rejected_pushes WHERE body_sha256 = $1`, [createHash('sha256').update(gzipped).digest()]);
    expect(row).toEqual({ status_code: 415, raw_body_base64: true });
    const identity = await fetch(`${service().url}/v1/push/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'identity' },
      body: JSON.stringify(push),
    });
    expect(identity.status).toBe(200);
    expect(await storedEvents(service(), push.callId as string)).toHaveLength(1);
  });

  test('a body over 64 KiB → 413 PAYLOAD_TOO_LARGE, kept (cut to the limit)', async () => {
    const marker = randomUUID();
    const answer = await service().post('/v1/push/cdr', cdrPush({ userData: marker, padding: 'x'.repeat(70 * 1024) }));
    expect(answer.status).toBe(413);
    expect(answer.body.error).toBe('PAYLOAD_TOO_LARGE');
    const [row] = await rejectedRows(service(), marker);
    expect(row).toMatchObject({ status_code: 413, truncated: true });
  });

  test('a body of several MiB → 413, still kept: its first 64 KiB and its true size', async () => {
    const marker = randomUUID();
    const body = JSON.stringify(cdrPush({ userData: marker, padding: 'x'.repeat(3 * 1024 * 1024) }));
    const answer = await service().post('/v1/push/cdr', body);
    expect(answer.status).toBe(413);
    expect(answer.body.error).toBe('PAYLOAD_TOO_LARGE');
    expect(answer.body.message).toContain(`${Buffer.byteLength(body)} bytes`);
    const [row] = await service().db.query(`SELECT body_bytes, truncated, length(raw_body) AS kept FROM rejected_pushes WHERE raw_body LIKE $1`, [`%${marker}%`]);
    expect(row).toEqual({ body_bytes: Buffer.byteLength(body), truncated: true, kept: 64 * 1024 });
  });

  test('a body over the 8 MiB hard limit → 413 without being read; counted as a rejected push all the same', async () => {
    const rejected = async () =>
      metricValue(await (await fetch(`${service().url}/metrics`)).text(), 'voice_push_pushes_total', { kind: 'cdr', outcome: 'rejected' }) ?? 0;
    const before = await rejected();
    const answer = await service().post('/v1/push/cdr', 'x'.repeat(9 * 1024 * 1024));
    expect(answer.status).toBe(413);
    expect(answer.body.error).toBe('PAYLOAD_TOO_LARGE');
    expect(await rejected()).toBe(before + 1);
  });

  test('a body of exactly 64 KiB is read', async () => {
    const push = cdrPush({ padding: '' });
    const size = Buffer.byteLength(JSON.stringify(push));
    const answer = await service().post('/v1/push/cdr', { ...push, padding: 'x'.repeat(64 * 1024 - size) });
    expect(answer.status).toBe(200);
  });

  // The router routes these to the receivers (it cuts an absolute-form target to its path and
  // decodes escapes), so they are pushes in every respect, not just in the handler.
  const unusualTargets = { status: ['http://anyhost/v1/push/status', '/v1/%70ush/status'], cdr: ['http://anyhost/v1/push/cdr', '/v1/push/%63dr'] };

  test.each(unusualTargets.status)('a malformed Content-Type to %s → 415 UNSUPPORTED_MEDIA_TYPE, kept raw', async (target) => {
    const marker = randomUUID();
    const answer = await rawPost(service().url, { target, contentType: ';', body: JSON.stringify(statusPush({ userData: marker })) });
    expect(answer).toMatchObject({ status: 415, body: { error: 'UNSUPPORTED_MEDIA_TYPE' } });
    const [row] = await rejectedRows(service(), marker);
    expect(row).toMatchObject({ kind: 'status', status_code: 415, count: 1 });
  });

  test('an oversized push to an absolute-form or percent-encoded target is read only to the 64 KiB limit: the same refusal as on the plain path', async () => {
    const marker = randomUUID();
    const body = JSON.stringify(cdrPush({ userData: marker, padding: 'x'.repeat(100 * 1024) }));
    expect((await service().post('/v1/push/cdr', body)).status).toBe(413);
    for (const target of unusualTargets.cdr) {
      expect(await rawPost(service().url, { target, contentType: 'application/json', body })).toMatchObject({ status: 413, body: { error: 'PAYLOAD_TOO_LARGE' } });
    }
    // one body kept (the first 64 KiB + 1 byte read each time), sent three times
    const rows = await rejectedRows(service(), marker);
    expect(rows.map((r: { count: number }) => r.count)).toEqual([3]);
  });

  test.each(unusualTargets.cdr)('a body over the 8 MiB hard limit to %s → 413, counted as a rejected cdr push', async (target) => {
    const rejected = async () =>
      metricValue(await (await fetch(`${service().url}/metrics`)).text(), 'voice_push_pushes_total', { kind: 'cdr', outcome: 'rejected' }) ?? 0;
    const before = await rejected();
    const answer = await rawPost(service().url, { target, contentType: 'application/json', contentLength: 9 * 1024 * 1024 });
    expect(answer).toMatchObject({ status: 413, body: { error: 'PAYLOAD_TOO_LARGE' } });
    expect(await rejected()).toBe(before + 1);
  });
});

describe('encoding (spec §2.1: UTF-8; any charset parameter is accepted, contract §1)', () => {
  const ADMIN_TOKEN = 'admin-token-for-e2e-encoding';
  const service = useTestService({ ADMIN_TOKEN });

  /** A valid status push whose userData is 你好 in GBK: the JSON is fine, the encoding is not UTF-8. */
  const gbkPush = () => {
    const [head, tail] = JSON.stringify(statusPush({ userData: 'GBK-HERE' })).split('GBK-HERE') as [string, string];
    return Buffer.concat([Buffer.from(head), Buffer.from([0xc4, 0xe3, 0xba, 0xc3]), Buffer.from(tail)]);
  };
  /** The store keys a row by the body's SHA-256: a base64-kept body is not found by its text. */
  const rowOf = async (body: Buffer) =>
    ((await service().db.query(`SELECT id::text AS id, status_code, reason, raw_body, count FROM rejected_pushes WHERE body_sha256 = $1`, [
      createHash('sha256').update(body).digest(),
    ])) as { id: string; status_code: number; reason: string; raw_body: string; count: number }[])[0];
  const replay = async (id: string) => {
    const response = await fetch(`${service().url}/admin/rejected-pushes/${id}/replay`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  test('a body that is not UTF-8 (GBK, as its charset says) → 400 INVALID_JSON, kept with its bytes in base64; replayed as it is, refused again', async () => {
    const body = gbkPush();
    const answer = await service().post('/v1/push/status', body, 'application/json; charset=gbk');
    expect(answer).toEqual({ status: 400, body: { error: 'INVALID_JSON', message: expect.stringContaining('not valid UTF-8') } });
    const row = (await rowOf(body))!;
    expect(row).toMatchObject({ status_code: 400, count: 1, reason: expect.stringMatching(/^INVALID_JSON: body is not valid UTF-8.*\[rawBody: the bytes in base64, they are not UTF-8\]$/) });
    expect(Buffer.from(row.raw_body, 'base64')).toEqual(body);

    expect(await replay(row.id)).toEqual({ status: 400, body: { error: 'INVALID_JSON', message: expect.any(String) } });
    expect(await rowOf(body)).toEqual(row); // not kept again, not counted
  });

  test('a non-UTF-8 body refused for its content type (415) is kept in base64 too: replayed as application/json, it is refused, not stored with its text changed', async () => {
    const body = gbkPush();
    expect((await service().post('/v1/push/status', body, 'text/plain; charset=gbk')).status).toBe(415);
    const row = (await rowOf(body))!;
    expect(Buffer.from(row.raw_body, 'base64')).toEqual(body);
    expect((await replay(row.id)).status).toBe(400);
  });

  test.each(['application/json; charset=utf-8', 'application/json; charset=UTF8', 'application/json;charset="UTF-8"', 'application/json; charset=gbk'])(
    'a UTF-8 body with Content-Type %s → 200, its text stored as sent',
    async (contentType) => {
      const push = statusPush({ userData: '你好 😀' });
      expect((await service().post('/v1/push/status', Buffer.from(JSON.stringify(push), 'utf8'), contentType)).status).toBe(200);
      const [event] = await storedEvents(service(), push.callId as string);
      expect(event.metadata.rawPush.userData).toBe('你好 😀');
    },
  );
});

describe('the queries while Postgres is away: their 503s logged once per burst', () => {
  test('one line for the first, and one telling how many more, at the latest when the service stops', async () => {
    const lines: string[] = [];
    const logTo = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const service = await startTestService({ LOG_LEVEL: 'warn' }, { logTo });
    try {
      service.postgres.cut();
      for (let i = 0; i < 3; i++) expect((await service.get(`/v1/calls/${uniqueCallId()}`)).status).toBe(503);
    } finally {
      await service.close();
    }
    const said = lines.map((line) => (JSON.parse(line) as { msg: string }).msg).filter((msg) => msg.includes('503'));
    expect(said).toEqual([expect.stringMatching(/^GET \/v1\/calls\/\S+ answered 503: /), '2 more requests answered 503 in the last 10 s']);
  }, 30_000);
});

describe('a database that refuses the service (its connections closed for maintenance): 503, not 500', () => {
  test('pushes and queries answer 503 UNAVAILABLE while ALLOW_CONNECTIONS is false, 200 once it is back', async () => {
    const database = await createTempDatabase();
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL });
    await admin.connect();
    const service = await startTestService({}, { database });
    try {
      const before = statusPush();
      expect((await service.post('/v1/push/status', before)).status).toBe(200);
      await admin.query(`ALTER DATABASE "${database.name}" ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [database.name]);
      expect(await service.post('/v1/push/status', statusPush())).toEqual({ status: 503, body: { error: 'UNAVAILABLE', message: expect.any(String) } });
      expect(await service.get(`/v1/calls/${String(before.callId)}`)).toEqual({ status: 503, body: { error: 'UNAVAILABLE', message: expect.any(String) } });
      await admin.query(`ALTER DATABASE "${database.name}" ALLOW_CONNECTIONS true`);
      let after = await service.get(`/v1/calls/${String(before.callId)}`);
      for (let i = 0; i < 20 && after.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 250));
        after = await service.get(`/v1/calls/${String(before.callId)}`);
      }
      expect(after.status).toBe(200);
    } finally {
      await admin.query(`ALTER DATABASE "${database.name}" ALLOW_CONNECTIONS true`).catch(() => undefined);
      await admin.end();
      await service.close();
      await database.drop();
    }
  }, 30_000);
});

describe('storage outage (contract §1: 503 while down, recovery by itself)', () => {
  const service = useTestService();

  test('answers 503 while Postgres is away, 200 after, nothing stored twice', async () => {
    const before = statusPush();
    expect((await service().post('/v1/push/status', before)).status).toBe(200);

    service().postgres.cut();
    const during = statusPush();
    const down = await service().post('/v1/push/status', during);
    expect(down.status).toBe(503);
    expect(down.body.error).toBe('UNAVAILABLE');
    const badWhileDown = await service().post('/v1/push/status', '{nope');
    expect(badWhileDown.status).toBe(503);
    // the queries too: "try again", not a 500 that blames the request
    for (const path of [`/v1/calls/${String(before.callId)}`, `/v1/calls/${String(before.callId)}/history`, `/v1/calls?accountId=${String(sample('status-spec-example.json').accountId)}`]) {
      expect({ path, ...(await service().get(path)) }).toEqual({ path, status: 503, body: { error: 'UNAVAILABLE', message: expect.any(String) } });
    }

    service().postgres.restore();
    // The sender's retry schedule brings the push again; the pool reconnects on its own.
    let retried = await service().post('/v1/push/status', during);
    for (let i = 0; i < 20 && retried.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 250));
      retried = await service().post('/v1/push/status', during);
    }
    expect(retried).toEqual({ status: 200, body: { accepted: true, duplicate: false, callId: during.callId } });
    expect((await service().post('/v1/push/status', during)).body.duplicate).toBe(true);
    expect((await service().post('/v1/push/status', before)).body.duplicate).toBe(true);
    expect(await storedEvents(service(), during.callId as string)).toHaveLength(1);
    expect(await storedEvents(service(), before.callId as string)).toHaveLength(1);
  });
});
