import { afterEach, describe, expect, test } from '@jest/globals';
import Fastify, { type FastifyInstance } from 'fastify';
import type net from 'node:net';
import { openRawConnection, parseRawAnswer } from '#testing';
import { answerClientError } from './client-error-answer.js';
import { keepRequestTimeoutWhileClosing, serverTimeouts } from './server-timeouts.js';

const head = (length: number) => `POST /held HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${length}\r\n\r\n`;
const whole = `${head(2)}ok`;
const halfBody = `${head(100)}only part of it`;
const halfHead = 'POST /held HTTP/1.1\r\nHost: x\r\n';

/**
 * The close of a server whose clients are still sending: Node's own request timeout no longer runs
 * then, and keepRequestTimeoutWhileClosing stands in for it (on a bare Fastify app: the service's
 * own path is in the graceful-shutdown e2e).
 */
describe('keepRequestTimeoutWhileClosing', () => {
  let app: FastifyInstance;
  let release: () => void;
  let entered: Promise<void>;
  const cuts: number[] = [];
  /** what the server has taken in: a head that came after the close began would be answered 503 */
  const seen = { connections: 0, requests: 0 };
  const until = async (what: () => boolean) => {
    for (let i = 0; i < 500 && !what(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(what()).toBe(true);
  };

  async function start(): Promise<number> {
    let enter!: () => void;
    entered = new Promise((resolve) => (enter = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    // Node's own timeouts far away: only the cut under test can end a slow client here
    app = Fastify({ requestTimeout: 60_000, connectionTimeout: 60_000, clientErrorHandler: answerClientError });
    keepRequestTimeoutWhileClosing(app, 300, (n) => cuts.push(n));
    seen.connections = 0;
    seen.requests = 0;
    app.server.on('connection', () => (seen.connections += 1));
    app.server.on('request', () => (seen.requests += 1));
    app.post('/held', async () => {
      enter();
      await released;
      return 'answered';
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return (app.server.address() as net.AddressInfo).port;
  }

  afterEach(async () => {
    release?.();
    cuts.length = 0;
    await app?.close();
  });

  test('the clients still sending (head or body) get 408 and are closed; a request read in full gets its answer', async () => {
    const port = await start();
    const read = await openRawConnection(port, whole);
    await entered;
    const sendingBody = await openRawConnection(port, halfBody);
    const sendingHead = await openRawConnection(port, halfHead);
    await until(() => seen.requests === 2 && seen.connections === 3);
    const closing = app.close();

    await Promise.all([sendingBody.closed, sendingHead.closed]);
    expect(sendingBody.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(sendingHead.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(cuts).toEqual([2]);
    expect(read.received()).toBe(''); // not cut: still waiting for its answer

    release();
    await until(() => read.received().includes('answered'));
    expect(read.received()).toMatch(/^HTTP\/1\.1 200 [\s\S]*answered$/);
    read.socket.destroy(); // kept alive, it would hold the close: the service's answers say Connection: close
    await closing;
  });

  test('a request read in full with a further one still arriving behind it (pipelined): the first still gets its answer, not a 408', async () => {
    const port = await start();
    const pipelined = await openRawConnection(port, whole + halfBody);
    await entered;
    const sending = await openRawConnection(port, halfBody);
    await until(() => seen.requests === 3);
    const closing = app.close();

    await sending.closed; // the cut has run
    expect(cuts).toEqual([1]);
    expect(pipelined.received()).toBe('');

    release();
    await until(() => pipelined.received().includes('answered'));
    expect(pipelined.received()).toMatch(/^HTTP\/1\.1 200 [\s\S]*answered$/);
    pipelined.socket.destroy(); // its second request would hold the close: the service's answers say Connection: close
    await closing;
  });

  test("the 408 is the one a request whose time is up gets outside a shutdown (status, type, contract §1's body)", async () => {
    const outside = await timedOutOutsideShutdown();
    const port = await start();
    const sending = await openRawConnection(port, halfBody);
    await until(() => seen.requests === 1);
    const closing = app.close();

    await sending.closed;
    expect(cuts).toEqual([1]);
    expect(answerShape(sending.received())).toEqual(answerShape(outside));
    expect(answerShape(outside)).toEqual({
      status: 'HTTP/1.1 408 Request Timeout',
      type: 'application/json; charset=utf-8',
      body: JSON.stringify({ error: 'REQUEST_TIMEOUT', message: 'the request did not arrive in time; send it again' }),
    });
    await closing;
  });
});

/** What a Fastify app with the service's timeouts (a short request timeout) answers a body that stops coming. */
async function timedOutOutsideShutdown(): Promise<string> {
  const server = Fastify(serverTimeouts(200));
  server.post('/held', async () => 'answered');
  await server.listen({ port: 0, host: '127.0.0.1' });
  try {
    const sending = await openRawConnection((server.server.address() as net.AddressInfo).port, halfBody);
    await sending.closed;
    return sending.received();
  } finally {
    await server.close();
  }
}

function answerShape(raw: string): { status: string; type: string | undefined; body: string } {
  const { statusLine, contentType, body } = parseRawAnswer(raw);
  return { status: statusLine, type: contentType, body };
}
