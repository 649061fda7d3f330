import { Writable } from 'node:stream';
import { afterEach, describe, expect, test } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { createApp } from '../../apps/voice-push/src/bootstrap.js';
import { loadConfig } from '../../apps/voice-push/src/config/app-config.js';
import { createTempDatabase, type TempDatabase } from '../../libs/event-store/src/testing/temp-database.js';
import { anAnsweredWireCall, type WireBody } from '../support/wire-pushes.js';

const RETRY_WARNING = 'another writer appended first';

interface Instance {
  app: NestFastifyApplication;
  url: string;
  /** the instance's log lines (warn and above) */
  lines: string[];
}

async function startInstance(databaseUrl: string, env: Record<string, string>): Promise<Instance> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const config = loadConfig({ ...env, LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl });
  const app = await createApp(config, pino({ level: 'warn' }, sink), databaseUrl);
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl(), lines };
}

async function post(instance: Instance, kind: 'status' | 'cdr', body: WireBody): Promise<void> {
  const answer = await fetch(`${instance.url}/v1/push/${kind}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(answer.status).toBe(200);
}

/** Two instances on one database, with a call's pushes alternating between them (no routing). */
describe('two instances sharing calls (SESSION_CACHE_SIZE)', () => {
  let db: TempDatabase | undefined;
  let instances: Instance[] = [];

  afterEach(async () => {
    for (const instance of instances) await instance.app.close();
    instances = [];
    await db?.drop();
  });

  async function alternate(env: Record<string, string>): Promise<{ view: any; retries: number }> {
    db = await createTempDatabase();
    // one after the other: the first one runs the migrations
    instances = [await startInstance(db.url, env), await startInstance(db.url, env)];
    const call = anAnsweredWireCall();
    const pushes: Array<['status' | 'cdr', WireBody]> = [...call.statuses.map((s): ['status', WireBody] => ['status', s]), ['cdr', call.cdr]];
    for (const [i, [kind, body]] of pushes.entries()) await post(instances[i % 2]!, kind, body);
    const view = await (await fetch(`${instances[0]!.url}/v1/calls/${call.callId}`)).json();
    const retries = instances.flatMap((i) => i.lines).filter((line) => line.includes(RETRY_WARNING)).length;
    return { view, retries };
  }

  test('with the cache (default) each instance writes from a stale state and has to retry', async () => {
    const { view, retries } = await alternate({});
    expect(view).toMatchObject({ status: 'FINALIZED', version: expect.any(Number) });
    expect(view.events).toHaveLength(4);
    expect(retries).toBeGreaterThan(0);
  });

  test('SESSION_CACHE_SIZE=0: every write reads its call first, so nothing conflicts and nothing is lost', async () => {
    const { view, retries } = await alternate({ SESSION_CACHE_SIZE: '0' });
    expect(view).toMatchObject({ status: 'FINALIZED' });
    expect(view.events).toHaveLength(4);
    expect(retries).toBe(0);
  });
});
