import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { unavailableAnswer } from '#contracts';
import type { PushMetrics } from '../ingestion/push.metrics.js';
import { pushKindOf } from './push-request.hook.js';

/**
 * While the server closes, every answer carries `Connection: close`. Fastify's close ends the
 * idle keep-alive sockets, but a request still in flight then leaves its socket open (idle, up to
 * keepAliveTimeout) once answered, and the close (so the whole graceful shutdown) waits for it.
 * A request that begins once the close has begun (on a connection still open, or whose head was
 * still arriving) is answered 503 `UNAVAILABLE`, as a push is while storage is away: the sender
 * retries it, on another instance or after the restart. Counted as such, and told once at the end.
 */
export function answerWhileClosing(fastify: FastifyInstance, pushMetrics: PushMetrics, logger: Logger): void {
  let closing = false;
  let refused = 0;
  fastify.addHook('preClose', (done) => {
    closing = true;
    logger.info('shutdown: the HTTP server takes no new request (answered 503), and finishes those in flight');
    done();
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!closing) return done();
    refused += 1;
    const body = { ...unavailableAnswer('the service is shutting down; retry') };
    const kind = pushKindOf(request);
    if (kind) pushMetrics.observe(kind, { statusCode: 503, body }, reply.elapsedTime / 1000);
    void reply.status(503).header('content-type', 'application/json; charset=utf-8').send(body);
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
  fastify.addHook('onClose', (_instance, done) => {
    if (refused > 0) logger.warn({ requests: refused }, 'shutdown: answered 503 to the requests that began after the stop (their senders retry)');
    done();
  });
}

/**
 * At the stop, the server stops taking connections at once but closes the open ones only `lingerMs`
 * later, answering 503 meanwhile (answerWhileClosing, registered before this). Node's close ends
 * every idle keep-alive connection at once, and a sender that keeps its connections busy has its
 * next request on one of them already on the way (or unread in the socket's buffer): a probe with
 * 8–32 busy connections saw only resets at a SIGTERM, up to 30 of them, and not one 503. Lingering,
 * such a request is read and answered 503 with `Connection: close`, which closes its connection
 * cleanly, and the sender's retry finds the port closed (refused, not reset) and goes to another
 * instance or waits for the restart. Only a connection idle through the whole linger and used just
 * as it ends still meets a reset. The linger ends early once no connection is left.
 * Registered before keepRequestTimeoutWhileClosing, whose cut of slow requests then counts from the
 * linger's end: an idle connection still open at the cut would be taken for a slow request (408).
 */
export function lingerBeforeClose(fastify: FastifyInstance, lingerMs: number): void {
  fastify.addHook('preClose', (done) => {
    const server = fastify.server;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      server.off('close', end);
      done();
    };
    const timer = setTimeout(end, lingerMs);
    // Node emits 'close' once it listens no more and the last connection is gone (here possibly
    // before Fastify's own close, and again at it: a 'close' listener must not take it for the end)
    server.once('close', end);
    // net.Server's own close: it stops listening and leaves the open connections be; http.Server's
    // would end the idle ones now. Fastify's close still ends them after the linger, and its
    // callback still waits for the last connection to go (Node calls it once none is left).
    net.Server.prototype.close.call(server);
  });
}
