import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PushKind } from '../ingestion/push-body.reader.js';
import type { PushAccessPolicy } from '../push-auth/push-access.policy.js';

/** Where the push receivers are: `/v1/push/status|cdr`, and `/v1/push/{token}/status|cdr`. */
export const PUSH_PATH = '/v1/push/';

/** The kind of push a request to a receiver carries; null for any other request. */
export function pushKindOf(method: string, url: string): PushKind | null {
  const match = method === 'POST' ? /^\/v1\/push\/(?:[^/?]+\/)?(status|cdr)(?:\?|$)/.exec(url) : null;
  return match ? (match[1] as PushKind) : null;
}

/** The Content-Type a push came with, before the hook below took it aside. */
const sentContentType = new WeakMap<IncomingMessage, string | undefined>();

/** The Content-Type header of a push as the sender sent it (undefined: none). */
export function pushContentType(request: FastifyRequest): string | undefined {
  return sentContentType.has(request.raw) ? sentContentType.get(request.raw) : request.headers['content-type'];
}

/**
 * For the push receivers, as soon as the request line and headers are in:
 * - the checks that need no body — IP allow-list, per-sender rate limit — so a refused sender's
 *   body is never read;
 * - the Content-Type is taken aside and the body read as plain bytes whatever it says: Fastify
 *   would answer a malformed one (`""`, `;`, `a=b`) 415 itself, in its own words and without
 *   keeping the push; ingestion answers it (415 UNSUPPORTED_MEDIA_TYPE, kept in the rejected store).
 */
export function registerPushRequestHook(fastify: FastifyInstance, policy: PushAccessPolicy): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.method !== 'POST' || !request.url.startsWith(PUSH_PATH)) return done();
    const refusal = policy.admit(request.ip);
    if (refusal !== null) {
      void reply
        .status(refusal.statusCode)
        .headers({ ...refusal.headers, 'content-type': 'application/json; charset=utf-8' })
        .send(JSON.stringify(refusal.body));
      return;
    }
    sentContentType.set(request.raw, request.headers['content-type']);
    request.headers['content-type'] = 'application/octet-stream';
    done();
  });
}
