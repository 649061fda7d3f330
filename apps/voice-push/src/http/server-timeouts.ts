import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

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
 * without the close: once the close is `requestTimeoutMs` old, every connection still receiving a
 * request is answered 408 and closed. A request already read in full is not touched: the close
 * waits for its answer, as for any push in flight.
 */
export function keepRequestTimeoutWhileClosing(
  fastify: FastifyInstance,
  requestTimeoutMs: number,
  onCut: (connections: number) => void,
): void {
  const sockets = new Set<Socket>();
  const exchanges = new WeakMap<Socket, { request: IncomingMessage; response: ServerResponse }>();
  fastify.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  fastify.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    exchanges.set(request.socket, { request, response });
  });
  let timer: NodeJS.Timeout | undefined;
  fastify.addHook('preClose', (done) => {
    timer = setTimeout(() => {
      let cut = 0;
      for (const socket of sockets) {
        const exchange = exchanges.get(socket);
        const answering = exchange !== undefined && exchange.request.complete && !exchange.response.writableFinished;
        if (answering) continue;
        socket.end(REQUEST_TIMEOUT_ANSWER, () => socket.destroy());
        cut += 1;
      }
      if (cut > 0) onCut(cut);
    }, requestTimeoutMs);
    timer.unref();
    done();
  });
  fastify.server.once('close', () => clearTimeout(timer));
}

/** what Node itself writes when a request's time is up */
const REQUEST_TIMEOUT_ANSWER = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n';
