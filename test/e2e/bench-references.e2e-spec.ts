// The benchmark's reference servers (`npm run bench:references`) run as the ladder runs them —
// built, as child processes — and do what their rung claims: the ceiling answers the contract's
// acknowledgement, the Nest rung validates with voice-push's DTOs, the insert rungs have written
// every push durably before they answer. A rung that silently did less would flatter voice-push.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { createTempDatabase, type TempDatabase } from '../../libs/event-store/src/testing/temp-database.js';
import { freePort, startChild, type ChildService } from '../../apps/push-simulator/src/bench/child-service.js';

const BENCH = resolve(process.cwd(), 'dist/apps/push-simulator/src/bench');
const STATUS = readFileSync(resolve(process.cwd(), '../shared/spec/samples/status-spec-example.json'), 'utf8');
const CALL_ID = 'NM20010115474511150001012500007a8c';
const ACK = { accepted: true, duplicate: false, callId: CALL_ID };
const logs = mkdtempSync(join(tmpdir(), 'vp-bench-references-'));

afterAll(() => rmSync(logs, { recursive: true, force: true }));

async function start(script: string, env: Record<string, string> = {}): Promise<ChildService> {
  const path = resolve(BENCH, script);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first (npm test does it for you)`);
  return startChild({
    script: path,
    // not jest's --experimental-vm-modules
    env: { NODE_OPTIONS: '', ...env },
    port: await freePort(),
    readyPath: '/',
    logFile: join(logs, `${script.replace(/\W/g, '_')}.log`),
  });
}

async function post(url: string, path: string, body: string) {
  const response = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: response.status, body: (await response.json()) as unknown };
}

/** `count` status pushes at once, each with its own callId */
const concurrentPushes = (url: string, count: number) =>
  Promise.all(
    Array.from({ length: count }, (_, i) => post(url, '/v1/push/status', JSON.stringify({ ...JSON.parse(STATUS), callId: `bench-ref-${i}` }))),
  );

describe('the ceiling and the Nest rung', () => {
  test('the ceiling answers both endpoints with the acknowledgement voice-push gives', async () => {
    const server = await start('ceiling-server.js');
    try {
      expect(await post(server.url, '/v1/push/status', STATUS)).toEqual({ status: 200, body: ACK });
      expect(await post(server.url, '/v1/push/cdr', STATUS)).toEqual({ status: 200, body: ACK });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  test("the Nest rung validates with voice-push's DTOs: the spec's example passes, a bad eventType does not", async () => {
    const server = await start('references/nest-validation.server.js');
    try {
      expect(await post(server.url, '/v1/push/status', STATUS)).toEqual({ status: 200, body: ACK });
      const bad = await post(server.url, '/v1/push/status', JSON.stringify({ ...JSON.parse(STATUS), eventType: 'ringing' }));
      expect(bad).toEqual({ status: 400, body: expect.objectContaining({ message: ['must be an integer'] }) });
      expect((await post(server.url, '/v1/push/cdr', JSON.stringify({ callId: CALL_ID }))).status).toBe(400);
    } finally {
      await server.stop();
    }
  });
});

describe.each([
  ['a single-row INSERT per push', 'references/insert-per-request.server.js'],
  ['group-committed INSERTs', 'references/group-commit-insert.server.js'],
])('the insert rung: %s', (_name, script) => {
  let db: TempDatabase;
  let server: ChildService;
  let client: pg.Client;

  beforeAll(async () => {
    db = await createTempDatabase();
    server = await start(script, { DATABASE_URL: db.url });
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await server?.stop();
    await db?.drop();
  });

  test('a push is a committed row by the time it is acknowledged', async () => {
    expect(await post(server.url, '/v1/push/status', STATUS)).toEqual({ status: 200, body: ACK });
    const { rows } = await client.query<{ path: string; body: unknown }>('SELECT path, body FROM pushes');
    expect(rows).toEqual([{ path: '/v1/push/status', body: JSON.parse(STATUS) }]);
  });

  test('concurrent pushes are each acknowledged once and each written once', async () => {
    const answers = await concurrentPushes(server.url, 200);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const { rows } = await client.query<{ call_id: string; n: number }>(
      `SELECT body->>'callId' AS call_id, count(*)::int AS n FROM pushes WHERE body->>'callId' LIKE 'bench-ref-%' GROUP BY 1`,
    );
    expect(rows).toHaveLength(200);
    expect(rows.every((r) => r.n === 1)).toBe(true);
  });
});
