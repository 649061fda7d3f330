// Contract §6: "on SIGTERM stop accepting, finish what is in flight, flush the relay, close the
// database — no acknowledged push lost, none half-applied". The built service runs as a child
// process on a throwaway database; SIGTERM arrives in the middle of a load of status and CDR
// pushes; afterwards the event store must hold every push that got a 2xx exactly once, with no
// gap in any stream and no CDR without its finalisation.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { openRawConnection, parseRawAnswer } from '../../libs/testing/src/raw-connection.js';
import type { DataSource } from 'typeorm';
import { appMigrations } from '../../apps/voice-push/src/database/database.module.js';
import { createTempDatabase, type TempDatabase } from '../../libs/event-store/src/testing/temp-database.js';
import { eventually } from '../support/poll.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';

const SENDERS = 8;
const MAX_PUSHES = 3_000;
const MAX_LOAD_MS = 10_000;
/** SIGTERM once this many pushes are acknowledged (or after SIGTERM_AFTER_MS) */
const SIGTERM_AFTER_ACKS = 400;
const SIGTERM_AFTER_MS = 3_000;

interface Push {
  path: '/v1/push/status' | '/v1/push/cdr';
  body: Record<string, unknown>;
  /** the idempotency key the service stores it under (events.metadata.idempotencyKey) */
  key: string;
}

/** One whole call: INITIATED, RINGING, ANSWERED, HUNG_UP, then the CDR (all consistent). */
function callPushes(callId: string, beginSeconds: number): Push[] {
  const common = { accountId: 'acc-shutdown', callId, serviceType: 100, caller: '13100001111', callee: '13100002222' };
  const times = [beginSeconds, beginSeconds + 1, beginSeconds + 3, beginSeconds + 23];
  const statuses: Push[] = times.map((t, i) => ({
    path: '/v1/push/status',
    body: { ...common, eventType: i + 1, eventTime: String(t), allEventType: [1, 2, 3, 4], messageType: 1 },
    key: `status:${callId}:${i + 1}:none:${t}`,
  }));
  const cdr: Push = {
    path: '/v1/push/cdr',
    body: {
      ...common,
      beginCallTime: times[0]! * 1000,
      ringTime: times[1]! * 1000,
      startTime: times[2]! * 1000,
      endTime: times[3]! * 1000,
      callDuration: 20,
      callResult: 1,
      cdrType: 1,
      cdrCreateTime: times[3]! * 1000 + 500,
    },
    key: `cdr:${callId}:1`,
  };
  return [...statuses, cdr];
}

/** A whole status push, as raw HTTP/1.1 bytes (keep-alive: no Connection header). */
const rawStatusPush = (body: string) =>
  `POST /v1/push/status HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/** Waits (at most 5 s) until the service logs that its HTTP server's close has begun (Nest's earlier shutdown hooks have run). */
const closeBegun = (service: ServiceProcess) => eventually(() => service.output().includes('the HTTP server takes no new request'), 5_000, 25);

describe('graceful shutdown on SIGTERM (contract §6)', () => {
  let database: TempDatabase;
  let db: DataSource;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    database = await createTempDatabase();
  }, 240_000);

  afterAll(async () => {
    if (service && service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
    await database?.drop();
  });

  test('every acknowledged push is stored exactly once, no stream has a gap, no CDR lacks its finalisation', async () => {
    service = await startServiceProcess({ DATABASE_URL: database.url, LOG_LEVEL: 'warn' });
    const { url, child } = service;

    const acknowledged: Push[] = [];
    const outcomes = { ok: 0, unavailable: 0, connectionErrors: 0, other: [] as string[] };
    let sent = 0;
    let stopping = false;
    let sigtermAt = 0;
    const started = Date.now();

    const sendSigterm = () => {
      if (sigtermAt) return;
      sigtermAt = Date.now();
      child.kill('SIGTERM');
      // and again at once, as a Ctrl-C reaches `npm start`'s node twice (npm passes on what the
      // terminal also sent): one stop, still graceful
      child.kill('SIGTERM');
    };
    const sigtermTimer = setTimeout(sendSigterm, SIGTERM_AFTER_MS);

    const sender = async (n: number) => {
      let calls = 0;
      while (!stopping && sent < MAX_PUSHES && Date.now() - started < MAX_LOAD_MS) {
        const pushes = callPushes(`shutdown-${n}-${calls++}-${randomUUID()}`, 1_700_000_000 + n * 100_000 + calls * 60);
        for (const push of pushes) {
          if (sent >= MAX_PUSHES) break;
          sent += 1;
          let status: number;
          let body: { accepted?: boolean; duplicate?: boolean };
          try {
            const response = await fetch(`${url}${push.path}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(push.body),
            });
            status = response.status;
            body = (await response.json().catch(() => ({}))) as typeof body;
          } catch {
            // refused / reset: the server is closing (the sender would retry later)
            outcomes.connectionErrors += 1;
            if (sigtermAt) return;
            throw new Error(`connection error before SIGTERM, after ${sent} pushes`);
          }
          if (status >= 200 && status < 300) {
            // outside the try: a 2xx that does not say "stored, new" fails the test, never counts as a network error
            expect(body).toMatchObject({ accepted: true, duplicate: false });
            acknowledged.push(push);
            outcomes.ok += 1;
            if (acknowledged.length >= SIGTERM_AFTER_ACKS) sendSigterm();
            continue;
          }
          if (status === 503 && sigtermAt) {
            outcomes.unavailable += 1;
            return; // this sender's retry would go to the next instance
          }
          outcomes.other.push(`${push.path} → ${status}`);
          return;
        }
      }
    };

    const exit = service.exited;
    await Promise.all(Array.from({ length: SENDERS }, (_, n) => sender(n)));
    stopping = true;
    clearTimeout(sigtermTimer);
    sendSigterm();
    const { code, signal } = await exit;
    const shutdownMs = Date.now() - sigtermAt;
    console.info(
      `graceful shutdown: ${sent} pushes sent, ${outcomes.ok} acknowledged (${acknowledged.length}), ` +
        `${outcomes.unavailable} answered 503 and ${outcomes.connectionErrors} connection errors after SIGTERM; ` +
        `exited ${code ?? signal} ${shutdownMs} ms after SIGTERM`,
      code === 0 ? "" : `\n${service.output().slice(-3000)}`,
    );

    expect(outcomes.other).toEqual([]);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(service.output()).not.toMatch(/timed out|error while shutting down|second stop signal/);
    expect(acknowledged.length).toBeGreaterThan(50);

    db = await database.dataSource(appMigrations);

    // 1. every acknowledged push is there, exactly once
    const rows: { key: string; n: number }[] = await db.query(
      `SELECT metadata->>'idempotencyKey' AS key, count(*)::int AS n
         FROM events WHERE type IN ('StatusRecorded', 'CdrRecorded') GROUP BY 1`,
    );
    const stored = new Map(rows.map((r) => [r.key, r.n]));
    const missing = acknowledged.filter((p) => !stored.has(p.key)).map((p) => p.key);
    expect(missing).toEqual([]);
    expect(rows.filter((r) => r.n !== 1)).toEqual([]);

    // 2. no stream has a gap in its versions
    const gaps = await db.query(
      `SELECT stream_id, min(version) AS min, max(version) AS max, count(*)::int AS n
         FROM events GROUP BY stream_id HAVING min(version) <> 1 OR max(version) <> count(*)`,
    );
    expect(gaps).toEqual([]);

    // 3. none half-applied: a recorded CDR always comes with its finalisation, and the read model
    //    was written in the same transaction as the events
    const unfinalised = await db.query(
      `SELECT stream_id FROM events WHERE type = 'CdrRecorded'
       EXCEPT SELECT stream_id FROM events WHERE type = 'CallFinalised'`,
    );
    expect(unfinalised).toEqual([]);
    const staleViews = await db.query(
      `SELECT e.stream_id, max(e.version) AS events, c.version AS view
         FROM events e LEFT JOIN calls c ON c.call_id = e.stream_id
        GROUP BY e.stream_id, c.version HAVING c.version IS DISTINCT FROM max(e.version)`,
    );
    expect(staleViews).toEqual([]);
    const finalisedWithoutCdr = await db.query(
      `SELECT call_id FROM calls WHERE status = 'FINALIZED'
       EXCEPT SELECT stream_id FROM events WHERE type = 'CdrRecorded'`,
    );
    expect(finalisedWithoutCdr).toEqual([]);
  }, 120_000);

  test('a second stop signal soon after the first (one Ctrl-C through npm start) is the same stop: still graceful', async () => {
    service = await startServiceProcess({ DATABASE_URL: database.url, LOG_LEVEL: 'info' });
    const { url, child } = service;
    // the start line says where a client reaches it, what the socket is bound to, and the push auth
    const started = JSON.parse(service.output().split('\n').find((line) => line.includes('voice-push is listening'))!);
    expect(started).toMatchObject({ url, listen: `127.0.0.1:${new URL(url).port}`, pushAuth: 'off' }); // HOST=127.0.0.1 here
    // a push whose body is not finished holds the close open, so the second signal comes while the
    // first stop is still going; the body's end then lets the stop finish
    const { socket: held } = await openRawConnection(
      Number(new URL(url).port),
      'POST /v1/push/status HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"callId":',
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill('SIGTERM');
    for (const deadline = Date.now() + 5_000; !service.output().includes('shutting down') && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(service.output()).toContain('shutting down: finishing in-flight pushes');
    expect(child.kill('SIGTERM')).toBe(true); // delivered: the process still runs
    await new Promise((resolve) => setTimeout(resolve, 100));
    held.write(`"c"}${' '.repeat(86)}`); // the rest of its 100 bytes
    const { code, signal } = await service.exited;
    held.destroy();
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(service.output()).not.toMatch(/second stop signal/);
  }, 60_000);
  test('a client still sending its request when the stop comes is cut after HTTP_REQUEST_TIMEOUT (408), so it cannot hold the shutdown past SHUTDOWN_TIMEOUT', async () => {
    // Node stops checking its request timeouts once the server's close begins: without our own
    // check, these sockets held the close until their 30 s idle timeout (a trickle: for ever), and
    // the 8 s SHUTDOWN_TIMEOUT here ended the process with "graceful shutdown timed out". (3 s, so
    // that Node's own check cannot cut them before the stop comes, on a machine however busy.)
    service = await startServiceProcess({ DATABASE_URL: database.url, LOG_LEVEL: 'info', HTTP_REQUEST_TIMEOUT: '3s', SHUTDOWN_TIMEOUT: '8s' });
    const port = Number(new URL(service.url).port);
    const partHead = await openRawConnection(port, 'POST /v1/push/status HTTP/1.1\r\nHost: x\r\n');
    const partBody = await openRawConnection(port, 'POST /v1/push/status HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"callId":');
    const trickle = setInterval(() => partBody.socket.write(' '), 200); // never silent long enough for the idle timeout
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      service.child.kill('SIGTERM');
      const { code, signal } = await service.exited;
      await Promise.all([partHead.closed, partBody.closed]);
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(service.output()).not.toMatch(/timed out/);
      expect(service.output()).toContain('closed the connections still sending a request');
      expect(partHead.received()).toMatch(/^HTTP\/1\.1 408 /);
      expect(partBody.received()).toMatch(/^HTTP\/1\.1 408 /);
      // contract §1's shape, not Fastify's own ({error: "Request Timeout", statusCode})
      expect(JSON.parse(parseRawAnswer(partBody.received()).body)).toEqual({ error: 'REQUEST_TIMEOUT', message: expect.any(String) });
    } finally {
      clearInterval(trickle);
      partHead.socket.destroy();
      partBody.socket.destroy();
    }
  }, 60_000);

  test('a request sent on an idle keep-alive connection after the stop is answered 503 with Connection: close, not met by a reset: the close lingers', async () => {
    service = await startServiceProcess({ DATABASE_URL: database.url, LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT: '8s' });
    const port = Number(new URL(service.url).port);
    const [first, second] = callPushes(`shutdown-keepalive-${randomUUID()}`, 1_700_000_000).map((p) => JSON.stringify(p.body));
    const kept = await openRawConnection(port, rawStatusPush(first!));
    try {
      await eventually(() => kept.received().includes('"accepted":true'), 5_000, 25);
      expect(parseRawAnswer(kept.received()).status).toBe(200);
      const answered = kept.received().length;
      service.child.kill('SIGTERM');
      await closeBegun(service);
      kept.socket.write(rawStatusPush(second!));
      await kept.closed;
      const answer = parseRawAnswer(kept.received().slice(answered));
      expect({ status: answer.status, body: JSON.parse(answer.body) }).toEqual({
        status: 503,
        body: { error: 'UNAVAILABLE', message: 'the service is shutting down; retry' },
      });
      expect(kept.received().slice(answered).toLowerCase()).toContain('connection: close');
      expect(await service.exited).toEqual({ code: 0, signal: null });
    } finally {
      kept.socket.destroy();
    }
  }, 60_000);

  test('a keep-alive connection left idle through the stop is closed without an answer, not taken for a slow request (408) when the cut comes as the linger ends', async () => {
    // HTTP_REQUEST_TIMEOUT 1s: the cut of slow requests and the 1 s linger would end together
    service = await startServiceProcess({ DATABASE_URL: database.url, LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT: '8s', HTTP_REQUEST_TIMEOUT: '1s' });
    const port = Number(new URL(service.url).port);
    const body = JSON.stringify(callPushes(`shutdown-idle-${randomUUID()}`, 1_700_000_000)[0]!.body);
    const idle = await openRawConnection(port, rawStatusPush(body));
    try {
      await eventually(() => idle.received().includes('"accepted":true'), 5_000, 25);
      const answered = idle.received().length;
      service.child.kill('SIGTERM');
      await idle.closed;
      expect(await service.exited).toEqual({ code: 0, signal: null });
      expect(idle.received().slice(answered)).toBe('');
      expect(service.output()).not.toContain('answered 408');
    } finally {
      idle.socket.destroy();
    }
  }, 60_000);

  test("a request whose head completes after the stop is answered 503 UNAVAILABLE in contract §1's shape (its sender retries it), and told", async () => {
    service = await startServiceProcess({ DATABASE_URL: database.url, LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT: '8s' });
    const port = Number(new URL(service.url).port);
    const late = await openRawConnection(port, 'POST /v1/push/status HTTP/1.1\r\nHost: x\r\n');
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      service.child.kill('SIGTERM');
      await closeBegun(service);
      const body = JSON.stringify(callPushes(`shutdown-late-${randomUUID()}`, 1_700_000_000)[0]!.body);
      late.socket.write(`Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      await late.closed;
      const { code, signal } = await service.exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      const answer = parseRawAnswer(late.received());
      expect({ status: answer.status, body: JSON.parse(answer.body) }).toEqual({
        status: 503,
        body: { error: 'UNAVAILABLE', message: 'the service is shutting down; retry' },
      });
      expect(service.output()).toContain('answered 503 to the requests that began after the stop');
    } finally {
      late.socket.destroy();
    }
  }, 60_000);
});
