import { describe, test, expect } from '@jest/globals';
import { T0, aCdrPush, aStatusPush, cdrRecorded, statusRecorded } from '../../../testing/src/index.js';
import { reactTo } from './reconciliation.process.js';
import { evolveAll } from './evolve.js';
import { initialState } from './call-session.state.js';
import type { CallSessionEvent } from './events.js';

const callId = 'NM-react';
const meta = { receivedAt: T0 + 5, idempotencyKey: 'k' };

describe('reactTo (reconciliation process manager)', () => {
  test('CdrRecorded → ReconcileCall', () => {
    const events = [cdrRecorded(aCdrPush({ callId }))];
    expect(reactTo(evolveAll(initialState, events), events, meta)).toEqual([
      { type: 'ReconcileCall', callId, metadata: meta },
    ]);
  });

  test('a late StatusRecorded → ReconcileCall; an on-time one → nothing', () => {
    const late = [statusRecorded(aStatusPush({ callId }), T0, true)];
    const onTime = [statusRecorded(aStatusPush({ callId }), T0, false)];
    expect(reactTo(evolveAll(initialState, late), late, meta)).toEqual([{ type: 'ReconcileCall', callId, metadata: meta }]);
    expect(reactTo(evolveAll(initialState, onTime), onTime, meta)).toEqual([]);
  });

  test('the decision events call for nothing (no loop)', () => {
    const base = [statusRecorded(aStatusPush({ callId }))];
    const rec = { status: 'MATCHED' as const, findings: [] };
    const follow: CallSessionEvent[] = [
      { type: 'CallFinalised', data: { callId, finalizedAt: T0, cdrKey: 'k', reconciliation: rec } },
      { type: 'CallReconciled', data: { callId, reconciledAt: T0, previous: null, reconciliation: rec } },
      { type: 'CdrOverdueFlagged', data: { callId, flaggedAt: T0, lastPushAt: T0, overdueAfterMs: 1 } },
      { type: 'CallForceFinalised', data: { callId, finalizedAt: T0, reason: 'x', reconciliation: rec } },
    ];
    for (const e of follow) expect(reactTo(evolveAll(initialState, [...base, e]), [e], meta)).toEqual([]);
  });

  test('at most one ReconcileCall per batch; none for an empty stream', () => {
    const events = [cdrRecorded(aCdrPush({ callId })), cdrRecorded(aCdrPush({ callId, cdrType: 2 }))];
    expect(reactTo(evolveAll(initialState, events), events, meta)).toHaveLength(1);
    expect(reactTo(initialState, [], meta)).toEqual([]);
  });
});
