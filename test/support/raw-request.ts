import { openRawConnection, parseRawAnswer } from '#testing';
import { parsedBody, type HttpAnswer } from './http-answer.js';

export interface RawRequest {
  /** the request target exactly as sent: absolute-form, percent-escapes and all (fetch would normalise it) */
  target: string;
  body?: string;
  contentType?: string;
  /** default: the body's length; a larger one announces a body that is never sent */
  contentLength?: number;
}

/** One POST on its own connection, written byte for byte, and its answer (the server closes after it). */
export async function rawPost(serviceUrl: string, request: RawRequest): Promise<HttpAnswer> {
  const body = request.body ?? '';
  const head = [
    `POST ${request.target} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Connection: close',
    ...(request.contentType === undefined ? [] : [`Content-Type: ${request.contentType}`]),
    `Content-Length: ${request.contentLength ?? Buffer.byteLength(body)}`,
  ];
  const connection = await openRawConnection(Number(new URL(serviceUrl).port), `${head.join('\r\n')}\r\n\r\n${body}`);
  await connection.closed;
  const answer = parseRawAnswer(connection.received());
  return { status: answer.status, body: parsedBody(answer.body) };
}
