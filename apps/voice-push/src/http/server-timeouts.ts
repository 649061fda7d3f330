import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { answerClientError } from './client-error-answer.js';

/** Server timeouts (Fastify options), chosen against slow or silent clients. */
export function serverTimeouts(requestTimeoutMs: number) {
  return {
    // The whole request (headers and body) must be in within this: a body sent a byte at a time
    // (slowloris) is cut with 408. A sender's push is ≤ 64 KiB and it waits 3 s for the answer.
    requestTimeout: requestTimeoutMs,
    // A socket silent this long in the middle of an exchange is dead (answers take milliseconds,
    // 503 when storage is away): let it go.
    connectionTimeout: Math.max(30_000, requestTimeoutMs),
    // An idle keep-alive socket is kept a little longer than a load balancer's usual 60 s, so the
    // balancer, not us, closes it (no race on a reused socket).
    keepAliveTimeout: 65_000,
    // the 408 these timeouts give (and Node's other refusals) in contract §1's shape
    clientErrorHandler: answerClientError,
    http: {
      headersTimeout: requestTimeoutMs,
      // how often node checks requestTimeout / headersTimeout (default 30 s would let a slow
      // request live up to 30 s past its timeout)
      connectionsCheckingInterval: Math.max(250, Math.min(1_000, Math.floor(requestTimeoutMs / 4))),
    },
  };
}

/**
 * Node stops enforcing `requestTimeout` and `headersTimeout` once the server's close begins (the
 * close clears the interval that checks them), so a client still sending its head or body then
 * held the graceful shutdown open until the socket's idle timeout (30 s, longer than the default
 * SHUTDOWN_TIMEOUT), or for as long as it kept trickling bytes: the shutdown then timed out, the
 * relay was not flushed and the pool not closed. Here such a client gets what it would have got
 * without the close: once the close is `cutAfterMs` old, every connection still receiving a
 * request gets what Node's own timeout gives it: Fastify's client-error handler answers 408 and
 * closes it (closed only, where an answer has begun on it).
 *
 * A connection with a request read in full and its answer not yet written is left alone, even
 * with a further (pipelined) request arriving behind it: the close waits for that answer, as for
 * any push in flight, and the answer's `Connection: close` then ends the connection.
 */
export function keepRequestTimeoutWhileClosing(fastify: FastifyInstance, cutAfterMs: number, onCut: (connections: number) => void): void {
  // per connection, not per request: nothing on a push's path
  const connections = new Set<Socket>();
  fastify.server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  let timer: NodeJS.Timeout | undefined;
  fastify.addHook('preClose', (done) => {
    timer = setTimeout(() => {
      let cut = 0;
      for (const socket of connections) {
        if (!stillReceiving(socket)) continue;
        cut += 1;
        if (socket.writableEnded || answerOf(socket)?.headersSent) socket.destroy();
        // what Node does when a request's time is up: Fastify's client-error handler answers its 408 and closes
        else fastify.server.emit('clientError', requestTimedOut(), socket);
      }
      if (cut > 0) onCut(cut);
    }, cutAfterMs);
    timer.unref();
    done();
  });
  fastify.server.once('close', () => clearTimeout(timer));
}

/**
 * The answer Node is writing, or writes next, on `socket`: the one to its oldest request not yet
 * answered (pipelined answers queue behind it). Node's own closeIdleConnections reads it too.
 */
function answerOf(socket: Socket): ServerResponse | undefined {
  return (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined;
}

/**
 * Still receiving a request (its head, or its body) with nothing owed to it. A connection's
 * requests come one after another, so when its oldest unanswered request is not read in full, no
 * later one is either.
 */
function stillReceiving(socket: Socket): boolean {
  if (socket.destroyed) return false;
  if (socket.writableEnded) return socket.writableFinished; // its last answer is out; the client still sends
  return answerOf(socket)?.req.complete !== true;
}

/** The error Node hands the server's client-error handler when a request's time is up. */
function requestTimedOut(): Error {
  return Object.assign(new Error('request timed out while the server closes'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
}
