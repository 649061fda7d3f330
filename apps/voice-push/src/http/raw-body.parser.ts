import type { FastifyInstance } from 'fastify';

/**
 * Largest body Fastify reads at all. The push limit (64 KiB) is checked by ingestion, which
 * keeps an oversized body (cut) in the rejected-push store; past this one the body is not read.
 */
export const HARD_BODY_LIMIT = 1024 * 1024;

/**
 * Every body arrives as raw bytes, whatever its content type: ingestion answers a wrong content
 * type itself (415, kept as rejected), and the raw bytes are what the rejected-push store keeps
 * and what a push signature is computed over.
 */
export function registerRawBodyParser(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: HARD_BODY_LIMIT }, (_req, body, done) => {
    done(null, body);
  });
}
