import { Catch, HttpException, Logger, NotFoundException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { unavailableAnswer } from '#contracts';
import { isStorageUnavailable } from '../database/storage-errors.js';
import type { PushMetrics } from '../ingestion/push.metrics.js';
import { RepeatedWarning } from '../logging/repeated-warning.js';
import { pushKindOf } from './push-request.hook.js';
import { routeNotFound } from './route-not-found.js';

/** A URL fit for the log: no query (push signatures), no secret path segment (PUSH_PATH_TOKEN). */
function loggableUrl(request: FastifyRequest): string {
  // A push's route, not its target: the target may spell the secret segment so that no pattern finds it.
  if (pushKindOf(request) !== null) return request.routeOptions.url!.replace(/\/:[^/]+/, '/***');
  return request.url.split('?')[0]!;
}

/** Every error leaves as `{error, message}` JSON, the shape of contract §1. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');
  /** a query per request while Postgres is away would bury the line that says so (as for the pushes) */
  private readonly unavailable = new RepeatedWarning(
    (line) => this.logger.warn(line),
    (n, windowMs) => `${n} more requests answered 503 in the last ${windowMs / 1000} s`,
  );

  /** `pushMetrics`: where a push refused before ingestion saw it (past the hard body limit) is counted */
  constructor(private readonly pushMetrics?: PushMetrics) {}

  /** Tells the 503s counted in the last window (at shutdown: they would go untold). */
  flush(): void {
    this.unavailable.flush();
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const { statusCode, body } = isRouterNotFound(exception)
      ? { statusCode: 404, body: routeNotFound(request.method, request.url) }
      : errorAnswer(exception);
    if (statusCode === 503) {
      const cause = (exception as Error)?.message ?? String(exception);
      this.unavailable.note(`${request.method} ${loggableUrl(request)} answered 503: ${cause}`, cause);
    }
    else if (statusCode >= 500) this.logger.error(`${request.method} ${loggableUrl(request)} failed: ${(exception as Error)?.stack ?? String(exception)}`);
    const kind = statusCode === 413 ? pushKindOf(request) : null;
    if (kind) {
      // Past the hard limit a push is refused unread, so ingestion never sees it and there is no
      // body to keep: it is at least logged and counted as rejected.
      this.logger.warn(`rejected ${kind} push (413 PAYLOAD_TOO_LARGE, not read, not kept): ${String(body.message)}, ip=${request.ip}`);
      this.pushMetrics?.observe(kind, { statusCode, body }, reply.elapsedTime / 1000);
    }
    void reply.status(statusCode).header('content-type', 'application/json; charset=utf-8').send(body);
  }

}

/** `{error: "NOT_FOUND", …}`: an answer our code gave in contract §1's shape (its codes in capitals). */
function isContractBody(response: unknown): response is Record<string, unknown> & { error: string } {
  return typeof response === 'object' && response !== null && 'error' in response && typeof response.error === 'string' && response.error.toUpperCase() === response.error;
}

/**
 * The router's 404 (Nest's not-found handler: no route for the path), answered as every missing
 * route's is (routeNotFound), from the request itself; any 404 of ours carries a body of our own.
 */
function isRouterNotFound(exception: unknown): boolean {
  return exception instanceof NotFoundException && !isContractBody(exception.getResponse());
}

/** The answer an error turns into, contract §1's `{error, message}`: here, and for the admin's audited actions. */
export function errorAnswer(exception: unknown): { statusCode: number; body: Record<string, unknown> } {
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    const statusCode = exception.getStatus();
    if (isContractBody(response)) return { statusCode, body: response };
    const code = statusCode === 404 ? 'NOT_FOUND' : statusCode === 401 ? 'UNAUTHORIZED' : statusCode >= 500 ? 'INTERNAL' : 'BAD_REQUEST';
    return { statusCode, body: { error: code, message: exception.message } };
  }
  const fastifyError = exception as { statusCode?: number; code?: string; message?: string };
  if (fastifyError?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { statusCode: 413, body: { error: 'PAYLOAD_TOO_LARGE', message: fastifyError.message ?? 'body too large' } };
  }
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return { statusCode: fastifyError.statusCode, body: { error: 'BAD_REQUEST', message: fastifyError.message ?? '' } };
  }
  // A query or an admin read whose Postgres is away or too slow (the push path answers its own
  // 503s): as for a push, 503 says "try again", where a 500 says the request itself is at fault.
  if (isStorageUnavailable(exception)) {
    return { statusCode: 503, body: { ...unavailableAnswer() } };
  }
  return { statusCode: 500, body: { error: 'INTERNAL', message: 'internal error' } };
}
