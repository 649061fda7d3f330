import type { FastifyInstance } from 'fastify';
import { PUSH_BODY_LIMIT } from '../ingestion/push-body.reader.js';
import { pushKindOf } from './push-request.hook.js';

/**
 * Largest body read at all (8 MiB). Up to it an oversized push is read to its end, and its first
 * bytes kept, so that even a 413 lands in the rejected-push store; past it the request is refused
 * unread (413) and the connection closed.
 */
export const HARD_BODY_LIMIT = 8 * 1024 * 1024;

/** What is kept of a body: all of a push that fits, one byte more for one that does not. */
const KEPT_BYTES = PUSH_BODY_LIMIT + 1;

/**
 * Largest body of the other routes (the admin's): an operator's fixed push given as a JSON string
 * can take several times its 64 KiB in escapes. Past it the handler answers 413 (see `wasCut`).
 */
export const OTHER_BODY_LIMIT = 1024 * 1024;

/** The true size of a body that was cut while reading (see `receivedBytes`). */
const cutBodies = new WeakMap<Buffer, number>();

/** How many bytes the sender sent for this body (more than `raw.length` when it was cut). */
export function receivedBytes(raw: Buffer): number {
  return cutBodies.get(raw) ?? raw.length;
}

/** Whether only the first bytes of this body were kept. */
export function wasCut(raw: Buffer): boolean {
  return receivedBytes(raw) > raw.length;
}

const tooLarge = (bytes: number) =>
  Object.assign(new Error(`body of ${bytes} bytes is over the ${HARD_BODY_LIMIT}-byte hard limit`), {
    statusCode: 413,
    code: 'FST_ERR_CTP_BODY_TOO_LARGE',
  });

/**
 * Every body arrives as raw bytes, whatever its content type: ingestion answers a wrong content
 * type itself (415, kept as rejected), and the raw bytes are what the rejected-push store keeps
 * and what a push signature is computed over. Memory per request stays at 64 KiB for a push, and
 * OTHER_BODY_LIMIT for the other routes, whatever is sent.
 */
export function registerRawBodyParser(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (request, payload, done) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > HARD_BODY_LIMIT) {
      done(tooLarge(declared), undefined);
      return;
    }
    const keep = pushKindOf(request) !== null ? KEPT_BYTES : OTHER_BODY_LIMIT + 1;
    const chunks: Buffer[] = [];
    let kept = 0;
    let total = 0;
    let finished = false;
    const finish = (error: Error | null, body?: Buffer) => {
      if (finished) return;
      finished = true;
      done(error, body);
    };
    payload.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > HARD_BODY_LIMIT) {
        finish(tooLarge(total));
        payload.destroy();
        return;
      }
      if (kept < keep) {
        const part = chunk.subarray(0, keep - kept);
        chunks.push(part);
        kept += part.length;
      }
    });
    payload.on('end', () => {
      const body = Buffer.concat(chunks, kept);
      if (total > kept) cutBodies.set(body, total);
      finish(null, body);
    });
    payload.on('error', (error: Error) => finish(error));
  });
}
