import { describe, expect, test } from '@jest/globals';
import {
  acceptedAnswer,
  duplicateAnswer,
  httpStatusOf,
  invalidJsonAnswer,
  invalidPushAnswer,
  notFoundAnswer,
  payloadTooLargeAnswer,
  unavailableAnswer,
  unsupportedMediaTypeAnswer,
} from './push-answers.js';
import { CALL_EVENTS_TOPIC, CALLS_FINALIZED_TOPIC, EVENT_ID_HEADER, EVENT_TYPE_HEADER } from './kafka-envelopes.js';

describe('push answers (contract §1)', () => {
  test('accepted and duplicate', () => {
    expect(acceptedAnswer('c1')).toEqual({ accepted: true, duplicate: false, callId: 'c1' });
    expect(duplicateAnswer('c1')).toEqual({ accepted: true, duplicate: true, callId: 'c1' });
    expect(httpStatusOf(acceptedAnswer('c1'))).toBe(200);
    expect(httpStatusOf(duplicateAnswer('c1'))).toBe(200);
  });
  test('INVALID_PUSH carries the violations', () => {
    const a = invalidPushAnswer('status', [{ field: 'eventTime', reason: 'is required' }, { field: 'callId', reason: 'must be a string' }]);
    expect(a).toEqual({
      error: 'INVALID_PUSH',
      message: 'invalid status push: eventTime, callId',
      violations: [{ field: 'eventTime', reason: 'is required' }, { field: 'callId', reason: 'must be a string' }],
    });
    expect(httpStatusOf(a)).toBe(400);
  });
  test('the error answers and their statuses', () => {
    expect(invalidJsonAnswer()).toEqual({ error: 'INVALID_JSON', message: expect.any(String) });
    expect(httpStatusOf(invalidJsonAnswer('x'))).toBe(400);
    expect(unsupportedMediaTypeAnswer('text/plain')).toEqual({
      error: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'expected Content-Type application/json, got "text/plain"',
    });
    expect(httpStatusOf(unsupportedMediaTypeAnswer())).toBe(415);
    expect(payloadTooLargeAnswer(70000)).toEqual({ error: 'PAYLOAD_TOO_LARGE', message: 'body of 70000 bytes is over the 65536-byte limit' });
    expect(httpStatusOf(payloadTooLargeAnswer())).toBe(413);
    expect(unavailableAnswer()).toEqual({ error: 'UNAVAILABLE', message: expect.any(String) });
    expect(httpStatusOf(unavailableAnswer())).toBe(503);
    expect(notFoundAnswer()).toEqual({ error: 'NOT_FOUND' });
    expect(httpStatusOf(notFoundAnswer('no such call'))).toBe(404);
  });
});

describe('Kafka names (contract §5)', () => {
  test('topics and headers', () => {
    expect([CALL_EVENTS_TOPIC, CALLS_FINALIZED_TOPIC]).toEqual(['voice.call-events.v1', 'voice.calls.finalized.v1']);
    expect([EVENT_ID_HEADER, EVENT_TYPE_HEADER]).toEqual(['event-id', 'event-type']);
  });
});
