import { describe, expect, test } from '@jest/globals';
import { WrongExpectedVersionError } from '#event-store';
import { isStorageUnavailable } from './storage-errors.js';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isStorageUnavailable: answered 503, the sender retries', () => {
  test.each([
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['connection exception', pgError('08006')],
    ['disk full', pgError('53100')],
    ['server shutting down', pgError('57P01')],
    ['the statement timeout', pgError('57014', 'canceling statement due to statement timeout')],
    ['the read timeout', new Error('Query read timeout')],
    ['a standby after a failover (read-only)', pgError('25006', 'cannot execute INSERT in a read-only transaction')],
    ['its connections closed (ALLOW_CONNECTIONS false)', pgError('55000', 'database "voice_push" is not currently accepting connections')],
    ['the database gone', pgError('3D000', 'database "voice_push" does not exist')],
    ['the login refused', pgError('28P01', 'password authentication failed for user "voice_push"')],
  ])('%s: unavailable', (_, error) => {
    expect(isStorageUnavailable(error)).toBe(true);
  });

  test.each([
    ['a unique violation', pgError('23505')],
    ['an append conflict', pgError('ES409')],
    ['a bad value', pgError('22P02')],
    ['not an error', 'ECONNREFUSED'],
    // the sender chooses the callId a conflict names, and a message may quote data: neither says Postgres is away
    ['a conflict on a call named like an outage', new WrongExpectedVersionError('x Connection refused', 1)],
    ['an error with a code whose message quotes such text', pgError('22P02', 'invalid input: "Connection terminated"')],
  ])('%s: not unavailable (retried one by one, or a bug)', (_, error) => {
    expect(isStorageUnavailable(error)).toBe(false);
  });
});
