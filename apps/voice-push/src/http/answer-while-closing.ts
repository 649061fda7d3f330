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
