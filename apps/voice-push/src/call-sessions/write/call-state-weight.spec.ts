import { describe, expect, test } from '@jest/globals';
import { evolveAll, initialState, type CallSessionState } from '#call-session-domain';
import { aCdrPush, aStatusPush, cdrRecorded, statusRecorded, T0 } from '#testing';
import { approximateStateBytes } from './call-state-weight.js';

function callWith(statuses: number, caller = '13800000000'): CallSessionState {
  const events = Array.from({ length: statuses }, (_, n) =>
    statusRecorded(aStatusPush({ callId: 'call-w', eventType: 1 + (n % 4), eventTime: T0 + n * 1000, caller })),
  );
  return evolveAll(initialState, [...events, cdrRecorded(aCdrPush({ callId: 'call-w' }))]);
}

describe('approximateStateBytes', () => {
  test.each([
    ['an ordinary call', callWith(5)],
    ['a call at the push limit', callWith(255)],
    ['a call with 60 KB pushes', callWith(4, 'x'.repeat(60_000))],
  ])('%s: about its JSON length', (_, state) => {
    const json = JSON.stringify(state).length;
    expect(approximateStateBytes(state)).toBeGreaterThan(0.7 * json);
    expect(approximateStateBytes(state)).toBeLessThan(1.5 * json);
  });

  test('counts the reconciliation: its findings may quote the pushes', () => {
    const state = callWith(5);
    const quoted = { ...state, reconciliation: { status: 'MISMATCH', findings: [{ code: 'IDENTITY_MISMATCH', message: 'x'.repeat(10_000) }] } };
    expect(approximateStateBytes(quoted as unknown as CallSessionState)).toBeGreaterThan(approximateStateBytes(state) + 10_000);
  });

  test('grows with every push', () => {
    expect(approximateStateBytes(callWith(6))).toBeGreaterThan(approximateStateBytes(callWith(5)));
  });
});
