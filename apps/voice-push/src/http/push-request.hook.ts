import type { IncomingMessage } from 'node:http';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PushKind } from '../ingestion/push-body.reader.js';
import type { PushAccessPolicy } from '../push-auth/push-access.policy.js';

/**
 * Marks a handler as a push receiver of that kind: the hooks below, the body parser and the error
 * filter treat its requests as pushes. Carried by the route itself, not found by matching paths, so
 * a receiver moved to another path stays one; a receiver added must carry it (a test checks that
 * every POST of the push controller does).
 */
export const PushReceiverRoute = (kind: PushKind): MethodDecorator => RouteConfig({ pushKind: kind } satisfies PushRouteConfig);

interface PushRouteConfig {
  pushKind?: PushKind;
}

/**
 * The kind of push a request carries; null for any other request. Read from the route Fastify
 * matched, never from `request.url`: that is the target as the client wrote it, and the router
 * routes an absolute-form target (`http://host/v1/push/…`) or a percent-encoded one
 * (`/v1/%70ush/…`) to the receivers all the same. Available from onRequest on (routing comes first).
 */
export function pushKindOf(request: FastifyRequest): PushKind | null {
  return (request.routeOptions.config as PushRouteConfig | undefined)?.pushKind ?? null;
}

/** The Content-Type a push came with, before the hook below took it aside. */
const sentContentType = new WeakMap<IncomingMessage, string | undefined>();

/** The Content-Type header of a push as the sender sent it (undefined: none). */
export function pushContentType(request: FastifyRequest): string | undefined {
  return sentContentType.has(request.raw) ? sentContentType.get(request.raw) : request.headers['content-type'];
}

/**
 * For the push receivers, as soon as the request line and headers are in:
 * - the checks that need no body — the secret path segment (counted in audit mode, refused in
 *   enforce mode; a token path when none is set is no receiver), the IP allow-list, the per-sender
 *   rate limit — so a refused sender's body is never read;
 * - the Content-Type is taken aside and the body read as plain bytes whatever it says: Fastify
 *   would answer a malformed one (`""`, `;`, `a=b`) 415 itself, in its own words and without
 *   keeping the push; ingestion answers it (415 UNSUPPORTED_MEDIA_TYPE, kept in the rejected store).
 */
export function registerPushRequestHook(fastify: FastifyInstance, policy: PushAccessPolicy): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const kind = pushKindOf(request);
    if (kind === null) return done();
    // the path first: a path that is no receiver answers 404 whoever asks, and however often (a
    // 403 or a rate-limit 503 there would tell a prober that a receiver is behind it)
    const refusal = policy.admitPath(kind, (request.params as { pathToken?: string }).pathToken, request.ip) ?? policy.admit(request.ip);
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
