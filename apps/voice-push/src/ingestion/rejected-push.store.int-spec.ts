import { afterEach, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createTempDatabase, type TempDatabase } from '../../../../libs/event-store/src/testing/temp-database.js';
import { appMigrations, appMigrationsBefore } from '../database/database.module.js';
import { foldCounts } from '#event-store';
import { expireRejectedPushes } from './rejected-push.retention.js';
import { PUSH_BODY_LIMIT } from './push-body.reader.js';
import { BASE64_BODY_NOTE, keptBytes, markReplayed, REJECTED_PUSH_COUNTS, REJECTED_PUSH_TOTALS_SQL, RejectedPushStore, type RejectedPush } from './rejected-push.store.js';

const refused = (reason: string, body = '{"callId":1}'): RejectedPush => ({
  kind: 'status',
  statusCode: 415,
  reason,
  violations: [],
  contentType: 'text/x',
  raw: Buffer.from(body),
});

/** A reason as long and as varied as a sender can make one (a 16 KiB Content-Type quoted in it). */
const longReason = () => `UNSUPPORTED_MEDIA_TYPE: "${randomBytes(8_000).toString('hex')}" is not application/json`;

/** A real Postgres with the app's migrations. */
describe('rejected-push store', () => {
  let db: TempDatabase | undefined;
  afterEach(async () => {
    await db?.drop();
    db = undefined;
  });
  const rows = async (ds: { query: (sql: string) => Promise<unknown> }) =>
    (await ds.query(`SELECT reason, count FROM rejected_pushes ORDER BY id`)) as { reason: string; count: number }[];

  test('a refusal whose reason is longer than an index entry holds is kept whole, and its retry counts up', async () => {
    db = await createTempDatabase();
    const ds = await db.dataSource(appMigrations);
    const reason = longReason();
    await new RejectedPushStore(ds).keep(refused(reason));
    await new RejectedPushStore(ds).keep(refused(reason));
    await new RejectedPushStore(ds).keep(refused(`${reason}.`)); // another reason, the same body: another row
    expect(await rows(ds)).toEqual([
      { reason, count: 2 },
      { reason: `${reason}.`, count: 1 },
    ]);
  });

  test('after the upgrade, a refusal kept before it counts up on its own row', async () => {
    db = await createTempDatabase();
    const before = await db.dataSource(appMigrationsBefore('RejectedPushReasonHash1764000900000'));
    // a row as the version before kept it (its store's upsert named the old key)
    await before.query(
      `INSERT INTO rejected_pushes (kind, status_code, reason, content_type, raw_body, body_bytes, body_sha256)
       VALUES ('status', 415, 'INVALID_JSON: body is not JSON', 'text/x', $1::text, $2, sha256(convert_to($1::text, 'UTF8')))`,
      ['{"callId":1}', 12],
    );
    await before.destroy();

    const after = await db.dataSource(appMigrations);
    await new RejectedPushStore(after).keep(refused('INVALID_JSON: body is not JSON'));
    expect(await rows(after)).toEqual([{ reason: 'INVALID_JSON: body is not JSON', count: 2 }]);
  });

  test('a body that is not UTF-8 is kept as the base64 of its bytes (cut or whole), said in the reason; a UTF-8 body cut inside a character stays text', async () => {
    db = await createTempDatabase();
    const ds = await db.dataSource(appMigrations);
    const store = new RejectedPushStore(ds);
    /** as the body parser hands over a body over the limit: its first limit + 1 bytes, and its size */
    const cut = (body: Buffer): RejectedPush => ({ ...refused('PAYLOAD_TOO_LARGE: x'), raw: body.subarray(0, PUSH_BODY_LIMIT + 1), bytes: body.length });
    const gbk = Buffer.from([0x7b, 0x22, 0xc4, 0xe3, 0xba, 0xc3, 0x22, 0x7d]); // {"你好"} in GBK
    const gbkLarge = Buffer.concat([Buffer.from('{"'), Buffer.alloc(70_000, Buffer.from([0xc4, 0xe3])), Buffer.from('"}')]);
    // 2 + 3n bytes: the 64 KiB kept end 2 bytes into a character
    const utf8Large = Buffer.from(`{"${'你'.repeat(30_000)}"}`);
    await store.keep({ ...refused('INVALID_JSON: x'), raw: gbk });
    await store.keep(cut(gbkLarge));
    await store.keep(cut(utf8Large));
    const kept = (await ds.query(`SELECT reason, raw_body, body_bytes, truncated FROM rejected_pushes ORDER BY id`)) as { raw_body: string }[];
    expect(kept).toEqual([
      { reason: `INVALID_JSON: x${BASE64_BODY_NOTE}`, raw_body: gbk.toString('base64'), body_bytes: gbk.length, truncated: false },
      { reason: `PAYLOAD_TOO_LARGE: x${BASE64_BODY_NOTE}`, raw_body: gbkLarge.subarray(0, PUSH_BODY_LIMIT).toString('base64'), body_bytes: gbkLarge.length, truncated: true },
      { reason: 'PAYLOAD_TOO_LARGE: x', raw_body: `{"${'你'.repeat((PUSH_BODY_LIMIT - 2 - 2) / 3)}`, body_bytes: utf8Large.length, truncated: true },
    ]);
  });

  test('whether a row is base64 is its column, not its reason: a reason a sender made end like the note still reads as text', async () => {
    db = await createTempDatabase();
    const ds = await db.dataSource(appMigrations);
    const store = new RejectedPushStore(ds);
    const gbk = Buffer.from([0x7b, 0x22, 0xc4, 0xe3, 0xba, 0xc3, 0x22, 0x7d]);
    const utf8 = Buffer.from('{"a":1}');
    await store.keep({ ...refused('INVALID_JSON: x'), raw: gbk });
    // a reason that quotes what the sender wrote (a field name) and so ends with the note's words
    await store.keep({ ...refused(`INVALID_PUSH: a field named "x${BASE64_BODY_NOTE}`), raw: utf8 });
    const rows = (await ds.query(`SELECT reason, raw_body, raw_body_base64 FROM rejected_pushes ORDER BY id`)) as {
      reason: string;
      raw_body: string;
      raw_body_base64: boolean;
    }[];
    expect(rows.map((r) => r.raw_body_base64)).toEqual([true, false]);
    expect(rows.map((r) => keptBytes(r))).toEqual([gbk, utf8]);
  });

  /** What the totals must say: the rows themselves aggregated (the scan the counters replace), plus the expired counts. */
  const TOTALS_BY_SCAN = `
    SELECT kind, sum(pushes)::text AS n, sum(distinct_bodies)::text AS distinct_bodies, sum(replayed)::text AS replayed, sum(expired)::text AS expired
      FROM (SELECT kind, sum(count) AS pushes, count(*) AS distinct_bodies, count(replayed_at) AS replayed, 0 AS expired FROM rejected_pushes GROUP BY kind
            UNION ALL SELECT kind, pushes, distinct_bodies, replayed, pushes FROM rejected_push_expired_counts) t
     GROUP BY kind ORDER BY kind`;
  const totals = async (ds: { query: (sql: string) => Promise<unknown> }) =>
    [...((await ds.query(REJECTED_PUSH_TOTALS_SQL)) as { kind: string }[])].sort((a, b) => a.kind.localeCompare(b.kind));

  test('the totals, kept by triggers, say what the rows say: through retries, a replay, the retention and a fold', async () => {
    db = await createTempDatabase();
    const ds = await db.dataSource(appMigrations);
    const store = new RejectedPushStore(ds);
    for (const body of ['{"a":1}', '{"a":2}', '{"a":3}']) await store.keep(refused('INVALID_JSON: x', body));
    await store.keep(refused('INVALID_JSON: x', '{"a":1}')); // a retry: counts up
    await store.keep({ ...refused('INVALID_JSON: x', '{"a":1}'), kind: 'cdr' });
    const [first] = (await ds.query(`SELECT id::text AS id FROM rejected_pushes ORDER BY id LIMIT 1`)) as { id: string }[];
    await markReplayed(ds, first!.id, 'status', false);
    expect(await totals(ds)).toEqual(await ds.query(TOTALS_BY_SCAN));
    expect(await totals(ds)).toEqual([
      { kind: 'cdr', n: '1', distinct_bodies: '1', replayed: '0', expired: '0' },
      { kind: 'status', n: '4', distinct_bodies: '3', replayed: '1', expired: '0' },
    ]);

    await foldCounts(ds, REJECTED_PUSH_COUNTS);
    await ds.query(`UPDATE rejected_pushes SET last_seen_at = now() - interval '2 days' WHERE id = $1::bigint`, [first!.id]);
    expect(await expireRejectedPushes(ds, 86_400_000)).toBe(1);
    await store.keep(refused('INVALID_JSON: x', '{"a":2}'));
    expect(await totals(ds)).toEqual(await ds.query(TOTALS_BY_SCAN));
    expect(await totals(ds)).toEqual([
      { kind: 'cdr', n: '1', distinct_bodies: '1', replayed: '0', expired: '0' },
      { kind: 'status', n: '5', distinct_bodies: '3', replayed: '1', expired: '2' },
    ]);
    // and they are read without touching the rows
    const [plan] = (await ds.query(`EXPLAIN (FORMAT JSON) ${REJECTED_PUSH_TOTALS_SQL}`)) as { 'QUERY PLAN': unknown }[];
    expect(JSON.stringify(plan!['QUERY PLAN'])).not.toContain('"rejected_pushes"');
  });

  test('after the upgrade, the rows kept before it are counted', async () => {
    db = await createTempDatabase();
    const before = await db.dataSource(appMigrationsBefore('CountRejectedPushes1764001000000'));
    // as the version before kept them (its store's upsert, without the columns added since)
    const keepAsBefore = (body: string) =>
      before.query(
        `INSERT INTO rejected_pushes (kind, status_code, reason, content_type, raw_body, body_bytes, body_sha256)
         VALUES ('status', 415, 'INVALID_JSON: x', 'text/x', $1::text, octet_length($1::text), sha256(convert_to($1::text, 'UTF8')))
         ON CONFLICT (kind, md5(reason), body_sha256) DO UPDATE SET count = rejected_pushes.count + 1, last_seen_at = now()`,
        [body],
      );
    await keepAsBefore('{"a":1}');
    await keepAsBefore('{"a":1}');
    await keepAsBefore('{"a":2}');
    await before.destroy();

    const after = await db.dataSource(appMigrations);
    await new RejectedPushStore(after).keep(refused('INVALID_JSON: x', '{"a":3}'));
    expect(await totals(after)).toEqual([{ kind: 'status', n: '4', distinct_bodies: '3', replayed: '0', expired: '0' }]);
  });
});
