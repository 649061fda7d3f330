// The answers of the push receivers (contract §1) and of a missing call (contract §3).
import type { PushViolation } from './push-violation.js';

/** Body limit of a push (contract §1). */
export const PUSH_BODY_LIMIT_BYTES = 64 * 1024;

/** 200: stored now (`duplicate: false`) or already stored by an earlier try (`duplicate: true`). */
export interface PushAcceptedAnswer {
  accepted: true;
  duplicate: boolean;
  callId: string;
}

export type ErrorCode =
  | 'INVALID_JSON'
  | 'INVALID_PUSH'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAVAILABLE'
  | 'NOT_FOUND';

export interface ErrorAnswer<C extends ErrorCode = ErrorCode> {
  error: C;
  message: string;
}

export type InvalidJsonAnswer = ErrorAnswer<'INVALID_JSON'>;
export interface InvalidPushAnswer extends ErrorAnswer<'INVALID_PUSH'> {
  violations: PushViolation[];
}
export type UnsupportedMediaTypeAnswer = ErrorAnswer<'UNSUPPORTED_MEDIA_TYPE'>;
export type PayloadTooLargeAnswer = ErrorAnswer<'PAYLOAD_TOO_LARGE'>;
export type UnavailableAnswer = ErrorAnswer<'UNAVAILABLE'>;
/** contract §3 shows `{"error":"NOT_FOUND"}`: the message is optional. */
export interface NotFoundAnswer {
  error: 'NOT_FOUND';
  message?: string;
}

export type PushErrorAnswer =
  | InvalidJsonAnswer
  | InvalidPushAnswer
  | UnsupportedMediaTypeAnswer
  | PayloadTooLargeAnswer
  | UnavailableAnswer;

export type PushAnswer = PushAcceptedAnswer | PushErrorAnswer;

/** The HTTP status of each error answer. */
export const ERROR_HTTP_STATUS = Object.freeze({
  INVALID_JSON: 400,
  INVALID_PUSH: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  UNAVAILABLE: 503,
  NOT_FOUND: 404,
} as const satisfies Record<ErrorCode, number>);

/** The HTTP status of an answer: 200 for an accepted push (new or duplicate). */
export function httpStatusOf(answer: PushAnswer | NotFoundAnswer): number {
  return 'error' in answer ? ERROR_HTTP_STATUS[answer.error] : 200;
}

export const acceptedAnswer = (callId: string): PushAcceptedAnswer => ({ accepted: true, duplicate: false, callId });

export const duplicateAnswer = (callId: string): PushAcceptedAnswer => ({ accepted: true, duplicate: true, callId });

export const invalidJsonAnswer = (message = 'body must be a JSON object'): InvalidJsonAnswer => ({
  error: 'INVALID_JSON',
  message,
});

/** What a push that fails validation is answered: `kind` is the receiver's ('status', 'cdr'). */
export const invalidPushAnswer = (kind: 'status' | 'cdr', violations: PushViolation[]): InvalidPushAnswer => ({
  error: 'INVALID_PUSH',
  message: `invalid ${kind} push: ${violations.map((v) => v.field).join(', ')}`,
  violations,
});

export const unsupportedMediaTypeAnswer = (contentType?: string | null): UnsupportedMediaTypeAnswer => ({
  error: 'UNSUPPORTED_MEDIA_TYPE',
  message: `expected Content-Type application/json, got ${contentType ? JSON.stringify(contentType) : 'none'}`,
});

export const payloadTooLargeAnswer = (size?: number, limit: number = PUSH_BODY_LIMIT_BYTES): PayloadTooLargeAnswer => ({
  error: 'PAYLOAD_TOO_LARGE',
  message:
    size === undefined ? `body is over the ${limit}-byte limit` : `body of ${size} bytes is over the ${limit}-byte limit`,
});

export const unavailableAnswer = (message = 'storage is unavailable; retry later'): UnavailableAnswer => ({
  error: 'UNAVAILABLE',
  message,
});

export const notFoundAnswer = (message?: string): NotFoundAnswer =>
  message === undefined ? { error: 'NOT_FOUND' } : { error: 'NOT_FOUND', message };
