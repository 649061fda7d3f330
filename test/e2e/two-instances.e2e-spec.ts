import { Writable } from 'node:stream';
import { afterEach, describe, expect, test } from '@jest/globals';
import { createTempDatabase, type TempDatabase } from '../../libs/event-store/src/testing/temp-database.js';
import { startTestService, type TestService } from '../support/test-service.js';
import { anAnsweredWireCall, type WireBody } from '../support/wire-pushes.js';

const RETRY_WARNING = 'another writer appended first';
const ADMIN = 'two-instances-admin-token';

/** Two instances on one database, with a call's pushes alternating between them (no routing). */
describe('two instances sharing calls (SESSION_CACHE_SIZE)', () => {
  let db: TempDatabase | undefined;
  let instances: TestService[] = [];

  afterEach(async () => {
    for (const instance of instances) await instance.close();
    instances = [];
    await db?.drop();
  });

  /** Each instance is in `instances` once started, so afterEach closes the first if the second fails to start. */
  async function startBoth(start: () => Promise<TestService>): Promise<void> {
    instances = [];
    instances.push(await start());
    instances.push(await start());
  }

  async function alternate(env: Record<string, string>): Promise<{ view: any; retries: number }> {
    db = await createTempDatabase();
    const lines: string[] = [];
    const logTo = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const start = () => startTestService({ ...env, LOG_LEVEL: 'warn' }, { database: db, logTo });
    // one after the other: the first one runs the migrations
    await startBoth(start);
    const call = anAnsweredWireCall();
    const pushes: Array<['status' | 'cdr', WireBody]> = [...call.statuses.map((s): ['status', WireBody] => ['status', s]), ['cdr', call.cdr]];
    for (const [i, [kind, body]] of pushes.entries()) {
      expect((await instances[i % 2]!.post(`/v1/push/${kind}`, body)).status).toBe(200);
    }
    const { body: view } = await instances[0]!.get(`/v1/calls/${call.callId}`);
    const retries = lines.filter((line) => line.includes(RETRY_WARNING)).length;
    return { view, retries };
  }

  test('with the cache (default) each instance writes from a stale state and has to retry', async () => {
    const { view, retries } = await alternate({});
    expect(view).toMatchObject({ status: 'FINALIZED', version: expect.any(Number) });
    expect(view.events).toHaveLength(4);
    expect(retries).toBeGreaterThan(0);
  });

  test('an instance that found no call does not go on believing it once the other instance created the call', async () => {
    db = await createTempDatabase();
    const start = () => startTestService({ ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'warn' }, { database: db });
    await startBoth(start);
    const [a, b] = instances as [TestService, TestService];
    const call = anAnsweredWireCall();
    const finalise = async () =>
      (await fetch(`${a.url}/admin/calls/${call.callId}/finalize`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } })).status;
    expect(await finalise()).toBe(404);
    expect((await b.post('/v1/push/status', call.statuses[0]!)).status).toBe(200);
    expect(await finalise()).toBe(200);
  });

  test('SESSION_CACHE_SIZE=0: every write reads its call first, so nothing conflicts and nothing is lost', async () => {
    const { view, retries } = await alternate({ SESSION_CACHE_SIZE: '0' });
    expect(view).toMatchObject({ status: 'FINALIZED' });
    expect(view.events).toHaveLength(4);
    expect(retries).toBe(0);
  });
});
