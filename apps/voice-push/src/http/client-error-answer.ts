import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** The 408's body (the OpenAPI document shows it). */
export const REQUEST_TIMEOUT_ANSWER = { error: 'REQUEST_TIMEOUT', message: 'the request did not arrive in time; send it again' } as const;

/** What a request Node could not take (its time up, its head too large, not HTTP) is answered. */
function answerFor(code: string | undefined): { status: number; error: string; message: string } {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, ...REQUEST_TIMEOUT_ANSWER };
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, error: 'HEADERS_TOO_LARGE', message: 'the request head is over the size allowed' };
  return { status: 400, error: 'BAD_REQUEST', message: 'not a well-formed HTTP request' };
}

/**
 * Fastify's `clientErrorHandler`, as its default but with contract §1's `{error, message}` body
 * (the default's is `{error: "Request Timeout", message, statusCode}`): these answers come from
 * Node before any route, so the app's exception filter never sees them.
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  // a reset connection has nobody to answer (Node's own handling does the same)
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, error, message } = answerFor(err.code);
  const body = JSON.stringify({ error, message });
  // as Node does: not into the middle of an answer already begun on the socket (a pipelined request's)
  const answering = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage?.headersSent === true;
  if (socket.writable && !answering) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/**
 * Fastify's `frameworkErrors`: a URL whose percent-encoding does not decode (400) and a path segment
 * over the router's `maxParamLength` (414), answered in contract §1's `{error, message}` (Fastify's
 * own body is `{statusCode, code, error, message}`). They come before any route, so the app's
 * exception filter never sees them.
 */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply.code(414).send({ error: 'URI_TOO_LONG', message: 'a path segment is over the length allowed' });
  } else if (error.code === 'FST_ERR_BAD_URL') {
    void reply.code(400).send({ error: 'BAD_REQUEST', message: 'the URL does not decode (its percent-encoding)' });
  } else {
    void reply.code(500).send({ error: 'INTERNAL', message: 'internal error' });
  }
}
