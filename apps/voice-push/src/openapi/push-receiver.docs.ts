import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiResponse } from '@nestjs/swagger';
import { ERROR_BODY_SCHEMA, PUSH_ACCEPTED_SCHEMA } from './answer-schemas.js';
import { REQUEST_TIMEOUT_ANSWER } from '../http/client-error-answer.js';
import { CDR_SPEC_EXAMPLE, STATUS_SPEC_EXAMPLE, pushAnswerExamples } from './push-examples.js';
import { cdrPushSchema, statusPushSchema } from './push-schemas.js';

const ANSWER_SCHEMAS = {
  accepted: PUSH_ACCEPTED_SCHEMA,
  // every refusal's body, its codes the receivers' own
  error: {
    ...ERROR_BODY_SCHEMA,
    properties: {
      ...ERROR_BODY_SCHEMA.properties,
      error: {
        type: 'string',
        enum: ['INVALID_JSON', 'INVALID_PUSH', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE', 'UNAVAILABLE', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'REQUEST_TIMEOUT'],
      },
    },
  },
} as const;

/** The OpenAPI description of one push receiver (contract §1): body schema, examples, answers. */
export function ApiPushReceiver(kind: 'status' | 'cdr'): MethodDecorator {
  const status = kind === 'status';
  const answers = pushAnswerExamples(kind);
  return applyDecorators(
    ApiOperation({
      summary: status ? 'Receive one call status push (spec §4)' : 'Receive one CDR push (spec §3)',
      description:
        'A 2xx acknowledges durable storage: it is sent only after the push is committed. ' +
        'Content type application/json (any charset parameter; the bytes must be UTF-8), body limit 64 KiB. ' +
        (status
          ? 'Idempotency key (callId, eventType, party, eventTime): a repeat is answered duplicate:true and stores nothing.'
          : 'Idempotency key (callId, cdrType): the same content is a duplicate; different content is a revision (CDR_REVISED).') +
        ' Every push refused 400/413/415 is kept raw in the rejected-push store (a 413 its first 64 KiB; ' +
        'a body that is not UTF-8 as base64; a body over 8 MiB is refused unread and not kept). The 401/403/404 of the optional push ' +
        'authentication (PUSH_AUTH_MODE=enforce) and the per-sender rate limit are not kept, nor is, in that mode, ' +
        'a 413 whose signature could not be checked.',
    }),
    ApiConsumes('application/json'),
    ApiBody({
      required: true,
      schema: status ? statusPushSchema : cdrPushSchema,
      examples: status
        ? { spec: { summary: 'the spec’s status example (RINGING, party A)', value: STATUS_SPEC_EXAMPLE } }
        : { spec: { summary: 'the spec’s CDR example (answered call, 20 s)', value: CDR_SPEC_EXAMPLE } },
    }),
    ApiResponse({ status: 200, description: 'stored (new) or already stored (a retry)', schema: ANSWER_SCHEMAS.accepted, examples: answers[200] } as never),
    ApiResponse({ status: 400, description: 'not UTF-8, not JSON / not an object, or fails validation', schema: ANSWER_SCHEMAS.error, examples: answers[400] } as never),
    ApiResponse({ status: 401, description: 'PUSH_AUTH_MODE=enforce: a missing or wrong signature (UNAUTHORIZED)', schema: ANSWER_SCHEMAS.error } as never),
    ApiResponse({ status: 403, description: 'PUSH_AUTH_MODE=enforce: a sender outside PUSH_IP_ALLOWLIST (FORBIDDEN)', schema: ANSWER_SCHEMAS.error } as never),
    ApiResponse({ status: 404, description: 'PUSH_AUTH_MODE=enforce with PUSH_PATH_TOKEN: the plain path (NOT_FOUND)', schema: ANSWER_SCHEMAS.error } as never),
    ApiResponse({
      status: 408,
      description: 'the body did not arrive within HTTP_REQUEST_TIMEOUT, or the service stopped first (REQUEST_TIMEOUT): send it again',
      schema: ANSWER_SCHEMAS.error,
      example: REQUEST_TIMEOUT_ANSWER,
    } as never),
    ApiResponse({ status: 413, description: 'body over the limit (64 KiB; over 8 MiB it is refused unread and not kept)', schema: ANSWER_SCHEMAS.error, examples: answers[413] } as never),
    ApiResponse({ status: 415, description: 'wrong content type, or a Content-Encoding other than identity (send the JSON uncompressed)', schema: ANSWER_SCHEMAS.error, examples: answers[415] } as never),
    ApiResponse({
      status: 503,
      description: 'storage unavailable, or the sender over its rate limit (PUSH_RATE_LIMIT; with Retry-After): retry',
      schema: ANSWER_SCHEMAS.error,
      examples: answers[503],
    } as never),
  );
}
