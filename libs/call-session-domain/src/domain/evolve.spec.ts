import { describe, test, expect } from '@jest/globals';
import { T0, aCdrPush, aStatusPush, cdrRecorded, statusRecorded } from '../../../testing/src/index.js';
import { evolve, evolveAll } from './evolve.js';
import { callStateOf, initialState, isFinalised, lastPushAt, legsOf } from './call-session.state.js';

const callId = 'NM-evolve';
const st = (eventType: number, party: number | null = null, t = T0) =>
  statusRecorded(aStatusPush({ callId, eventType, party, eventTime: t + eventType * 1000 }), T0 + 10_000 + eventType);

describe('evolve', () => {
  test('initial state: version 0, no facts, OPEN, NONE', () => {
    expect(initialState.version).toBe(0);
    expect(initialState.callId).toBeNull();
    expect(callStateOf(initialState)).toBe('NONE');
    expect(isFinalised(initialState)).toBe(false);
    expect(lastPushAt(initialState)).toBeNull();
  });

  test('every event increments the version by 1 and never mutates the state', () => {
    const e = st(1);
    const s1 = evolve(initialState, e);
    expect(s1.version).toBe(1);
    expect(initialState.version).toBe(0);
    expect(Object.keys(initialState.statuses)).toHaveLength(0);
    expect(evolve(s1, st(2)).version).toBe(2);
  });

  test.each([
    [[1], 'INITIATED'],
    [[1, 2], 'RINGING'],
    [[1, 2, 3], 'ANSWERED'],
    [[1, 2, 3, 4], 'ENDED'],
    [[4, 3, 2, 1], 'ENDED'],
    [[3, 1], 'ANSWERED'],
    [[2, 9], 'RINGING'],
    [[9], 'NONE'],
  ] as const)('callState by progress rank, never back: %j → %s', (types, expected) => {
    expect(callStateOf(evolveAll(initialState, types.map((t) => st(t))))).toBe(expected);
  });

  test('legs: party 1 → A, party 2 → B, each its own furthest; callState the furthest of all', () => {
    const s = evolveAll(initialState, [st(1, 1), st(2, 2), st(3, 2), st(1, null)]);
    expect(legsOf(s)).toEqual({ A: 'INITIATED', B: 'ANSWERED' });
    expect(callStateOf(s)).toBe('ANSWERED');
  });

  test('a finalised call is ENDED', () => {
    const s = evolveAll(initialState, [
      st(1),
      { type: 'CallForceFinalised', data: { callId, finalizedAt: T0, reason: 'x', reconciliation: { status: 'PENDING', findings: [] } } },
    ]);
    expect(callStateOf(s)).toBe('ENDED');
  });

  test('openedAt is the first receivedAt; lastPushAt the latest', () => {
    const s = evolveAll(initialState, [
      statusRecorded(aStatusPush({ callId }), 5000),
      cdrRecorded(aCdrPush({ callId }), 9000),
      statusRecorded(aStatusPush({ callId, eventType: 2 }), 7000),
    ]);
    expect(s.openedAt).toBe(5000);
    expect(lastPushAt(s)).toBe(9000);
    expect(s.callId).toBe(callId);
  });
});
