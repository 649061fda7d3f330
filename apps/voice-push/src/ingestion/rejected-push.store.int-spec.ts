import { afterEach, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createTempDatabase, type TempDatabase } from '../../../../libs/event-store/src/testing/temp-database.js';
import { appMigrations, appMigrationsBefore } from '../database/database.module.js';
import { RejectedPushStore, type RejectedPush } from './rejected-push.store.js';

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
});
