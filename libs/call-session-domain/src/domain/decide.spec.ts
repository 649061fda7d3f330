import { describe, test, expect } from '@jest/globals';
import {
  T0,
  aCdrPush,
  aNote,
  aStatusPush,
  anAnsweredCall,
  cdrRecorded,
  codesOf,
  flagCdrOverdue,
  forceFinalise,
  given,
  reconcileCall,
  recordCdr,
  recordStatus,
  statusRecorded,
} from '../../../testing/src/index.js';
import { cdrPushKey, statusPushKey } from './push.js';
import type { CallSessionEvent } from './events.js';
import { reconciliationOf } from './reconciliation/reconcile.js';
import { evolveAll } from './evolve.js';
import { initialState } from './call-session.state.js';
import { MAX_PUSHES_PER_CALL, pushesHeld } from './push-limit.js';

const callId = 'NM-decide-1';
const status = (o = {}) => aStatusPush({ callId, ...o });
const cdr = (o = {}) => aCdrPush({ callId, ...o });
const R = T0 + 100_000; // receivedAt base

/** events of a call finalised by its CDR (statuses 1..4, CDR, CallFinalised) */
function finalisedCall(): CallSessionEvent[] {
  const flow = anAnsweredCall({ callId });
  const recorded = [...flow.statuses.map((p, i) => statusRecorded(p, R + i)), cdrRecorded(flow.cdrs[0]!, R + 10)];
  const state = evolveAll(initialState, recorded);
  return [
    ...recorded,
    {
      type: 'CallFinalised',
      data: { callId, finalizedAt: R + 10, cdrKey: cdrPushKey(flow.cdrs[0]!), reconciliation: reconciliationOf(state) },
    },
  ];
}

describe('RecordStatus', () => {
  test('opens the session: StatusRecorded, not late', () => {
    const p = status({ eventType: 2 });
    given([])
      .when(recordStatus(p, R))
      .then([{ type: 'StatusRecorded', data: { callId, key: statusPushKey(p), push: p, receivedAt: R, late: false } }]);
  });

  test('a retry with the same content is a duplicate (notes order ignored)', () => {
    const notes = [aNote('UNKNOWN_ENUM_VALUE', 'releaseType', 9), aNote('TIME_UNIT_CORRECTED', 'eventTime', 1, 1000)];
    const p = status({ notes });
    given([statusRecorded(p, R)])
      .when(recordStatus({ ...p, notes: [...notes].reverse() }, R + 5000))
      .thenOutcome('duplicate');
  });

  test('the same key with a different content is a conflicting duplicate; the first stays', () => {
    const p = status({ eventType: 3 });
    given([statusRecorded(p, R)])
      .when(recordStatus({ ...p, caller: '19999999999' }, R + 1))
      .thenOutcome('conflicting-duplicate')
      .thenState((s) => expect(s.statuses[statusPushKey(p)]!.push.caller).toBe(p.caller));
  });

  test('a retry of a status stored before messageType was kept (its push has no member for it) is still a duplicate', () => {
    const stored = status();
    expect(Object.keys(stored)).not.toContain('messageType');
    given([statusRecorded(stored, R)]).when(recordStatus({ ...stored, messageType: 1 }, R + 1)).thenOutcome('duplicate');
    // and one stored since, with messageType null, is not the same content as a push that has it
    given([statusRecorded({ ...stored, messageType: null }, R)])
      .when(recordStatus({ ...stored, messageType: 1 }, R + 1))
      .thenOutcome('conflicting-duplicate');
  });

  test('a retry changing only an upstream field (a show number) is a conflicting duplicate; one stored before they were kept is a duplicate', () => {
    const stored = status({ upstream: { callerShowNumber: '95013' } });
    given([statusRecorded(stored, R)]).when(recordStatus({ ...stored, upstream: { callerShowNumber: '95014' } }, R + 1)).thenOutcome('conflicting-duplicate');
    given([statusRecorded(stored, R)]).when(recordStatus({ ...stored, upstream: null }, R + 1)).thenOutcome('conflicting-duplicate');
    given([statusRecorded(stored, R)]).when(recordStatus({ ...stored }, R + 1)).thenOutcome('duplicate');
    const before = status();
    expect(Object.keys(before)).not.toContain('upstream');
    given([statusRecorded(before, R)]).when(recordStatus({ ...before, upstream: { outId: 'o-1' } }, R + 1)).thenOutcome('duplicate');
  });

  test('a retry of a status stored before unknown allEventType codes were noted is still a duplicate', () => {
    const stored = status({ allEventType: [1, 2, 3, 4, 9] });
    const retry = { ...stored, notes: [aNote('UNKNOWN_ENUM_VALUE', 'allEventType', 9)] };
    given([statusRecorded(stored, R)]).when(recordStatus(retry, R + 1)).thenOutcome('duplicate');
    // the time as sent is part of the content: a retry that sent another unit still conflicts
    given([statusRecorded(stored, R)])
      .when(recordStatus({ ...retry, notes: [aNote('TIME_UNIT_CORRECTED', 'eventTime', T0, T0)] }, R + 1))
      .thenOutcome('conflicting-duplicate');
  });

  test('eventTime within the same second is the same key (wire precision is seconds)', () => {
    const p = status({ eventTime: T0 });
    given([statusRecorded(p, R)]).when(recordStatus({ ...p, eventTime: T0 + 400 }, R)).thenOutcome('conflicting-duplicate');
  });

  test('a different party is a different key', () => {
    const p = status({ party: 1 });
    given([statusRecorded(p, R)])
      .when(recordStatus({ ...p, party: 2 }, R + 1))
      .thenOutcome('applied');
  });

  test('a push for another call is rejected', () => {
    given([statusRecorded(status(), R)])
      .when(recordStatus(aStatusPush({ callId: 'other' }), R))
      .thenOutcome('rejected', 'other');
  });

  test('after finalisation: recorded late', () => {
    const p = status({ eventType: 2, party: 2 });
    given(finalisedCall())
      .when(recordStatus(p, R + 100))
      .then([{ type: 'StatusRecorded', data: { callId, key: statusPushKey(p), push: p, receivedAt: R + 100, late: true } }]);
  });

  test('after a force-finalise: recorded late', () => {
    const p = status({ eventType: 4 });
    given([statusRecorded(status(), R), { type: 'CallForceFinalised', data: { callId, finalizedAt: R + 1, reason: 'x', reconciliation: { status: 'PENDING', findings: [] } } }])
      .when(recordStatus(p, R + 2))
      .thenEvents((e) => expect(e).toMatchObject([{ type: 'StatusRecorded', data: { late: true } }]));
  });

  test('an unknown eventType is recorded, changes no state', () => {
    const p = status({ eventType: 9 });
    given([statusRecorded(status({ eventType: 2 }), R)])
      .when(recordStatus(p, R + 1))
      .thenOutcome('applied')
      .thenState((s) => expect(Object.keys(s.statuses)).toHaveLength(2));
  });
});

describe('RecordCdr', () => {
  test('a CDR before any status opens the session: revision 1, authoritative', () => {
    const c = cdr();
    given([])
      .when(recordCdr(c, R))
      .then([{ type: 'CdrRecorded', data: { callId, key: cdrPushKey(c), push: c, receivedAt: R, revision: 1, authoritative: true } }]);
  });

  test('the same content again is a duplicate (notes order ignored)', () => {
    const notes = [aNote('UNKNOWN_ENUM_VALUE', 'releaseType', 9), aNote('UNKNOWN_ENUM_VALUE', 'callResult', 77)];
    const c = cdr({ notes });
    given([cdrRecorded(c, R)])
      .when(recordCdr({ ...c, notes: [...notes].reverse() }, R + 1))
      .thenOutcome('duplicate');
  });

  test('a different content is a revision; the later cdrCreateTime becomes authoritative', () => {
    const c = cdr();
    const revised = { ...c, callDuration: 19, cdrCreateTime: (c.cdrCreateTime ?? 0) + 60_000 };
    given([cdrRecorded(c, R)])
      .when(recordCdr(revised, R + 1))
      .then([{ type: 'CdrRecorded', data: { callId, key: cdrPushKey(c), push: revised, receivedAt: R + 1, revision: 2, authoritative: true } }]);
  });

  test('an older revision arriving later is recorded but not authoritative', () => {
    const c = cdr();
    const older = { ...c, callDuration: 19, cdrCreateTime: (c.cdrCreateTime ?? 0) - 60_000 };
    given([cdrRecorded(c, R)])
      .when(recordCdr(older, R + 1))
      .thenEvents((e) => expect(e).toMatchObject([{ type: 'CdrRecorded', data: { revision: 2, authoritative: false } }]));
  });

  test('a retry of the first content after a revision is a duplicate', () => {
    const c = cdr();
    const revised = { ...c, callDuration: 19, cdrCreateTime: (c.cdrCreateTime ?? 0) + 1 };
    given([cdrRecorded(c, R), cdrRecorded(revised, R + 1, 2)]).when(recordCdr(c, R + 2)).thenOutcome('duplicate');
  });

  test('a revision that changes only a spec field nothing here reads (numberPoolNo, a city code) is a revision, stored', () => {
    const c = cdr({ numberPoolNo: 'NP1', calleeCityCode: 'BJ' });
    for (const revised of [{ ...c, numberPoolNo: 'NP2' }, { ...c, calleeCityCode: 'SH' }]) {
      given([cdrRecorded(c, R)])
        .when(recordCdr(revised, R + 1))
        .thenEvents((e) => expect(e).toMatchObject([{ type: 'CdrRecorded', data: { push: revised, revision: 2 } }]));
    }
  });

  test('a revision that changes only an upstream field (outId, verifyResult) is a revision, stored; the same ones again a duplicate', () => {
    const c = cdr({ upstream: { outId: 'order-1', verifyResult: 1 } });
    for (const upstream of [{ outId: 'order-2', verifyResult: 1 }, { outId: 'order-1', verifyResult: 0 }, null]) {
      const revised = { ...c, upstream };
      given([cdrRecorded(c, R)])
        .when(recordCdr(revised, R + 1))
        .thenEvents((e) => expect(e).toMatchObject([{ type: 'CdrRecorded', data: { push: revised, revision: 2 } }]));
    }
    given([cdrRecorded(c, R)]).when(recordCdr({ ...c, upstream: { verifyResult: 1, outId: 'order-1' } }, R + 1)).thenOutcome('duplicate');
    // a CDR stored before they were kept: its retry with them is still a duplicate
    given([cdrRecorded(cdr(), R)]).when(recordCdr({ ...cdr(), upstream: { outId: 'order-1' } }, R + 1)).thenOutcome('duplicate');
  });

  test('a retry of a CDR stored before those fields were kept (its push has no member for them) is still a duplicate', () => {
    const stored = cdr();
    const retry = { ...stored, numberPoolNo: 'NP1', callerCityCode: 'SZ', messageType: 1 };
    expect(Object.keys(stored)).not.toContain('numberPoolNo');
    given([cdrRecorded(stored, R)]).when(recordCdr(retry, R + 1)).thenOutcome('duplicate');
    // and one stored since, with those fields null, is not the same content as a push that has them
    given([cdrRecorded({ ...stored, numberPoolNo: null }, R)]).when(recordCdr(retry, R + 1)).thenOutcome('applied');
  });

  test('a retry of a CDR stored when a code was not yet flagged (or no longer is) is still a duplicate', () => {
    const stored = cdr({ releaseType: 9 });
    given([cdrRecorded(stored, R)])
      .when(recordCdr({ ...stored, notes: [aNote('UNKNOWN_ENUM_VALUE', 'releaseType', 9)] }, R + 1))
      .thenOutcome('duplicate');
  });

  test('an SMS record has its own key (cdrType 2)', () => {
    given([cdrRecorded(cdr(), R)])
      .when(recordCdr(cdr({ cdrType: 2, callResult: 1001, startTime: 0, ringTime: 0, callDuration: 0 }), R + 1))
      .thenEvents((e) => expect(e).toMatchObject([{ type: 'CdrRecorded', data: { key: `cdr:${callId}:2`, revision: 1 } }]));
  });

  test('a CDR after a force-finalise still applies', () => {
    given([statusRecorded(status(), R), { type: 'CallForceFinalised', data: { callId, finalizedAt: R + 1, reason: 'x', reconciliation: { status: 'PENDING', findings: [] } } }])
      .when(recordCdr(cdr(), R + 2))
      .thenOutcome('applied');
  });

  test('a CDR for another call is rejected', () => {
    given([cdrRecorded(cdr(), R)]).when(recordCdr(aCdrPush({ callId: 'x' }), R)).thenOutcome('rejected');
  });
});

describe('a call holds at most MAX_PUSHES_PER_CALL pushes', () => {
  // a full call: statuses one second apart (each its own key) and one CDR with two revisions
  const statuses = Array.from({ length: MAX_PUSHES_PER_CALL - 2 }, (_, i) => status({ eventType: 2, eventTime: T0 + i * 1000 }));
  const first = cdr({ cdrCreateTime: T0 + 1 });
  const revised = cdr({ cdrCreateTime: T0 + 2 });
  const almostFull = [...statuses.map((p, i) => statusRecorded(p, R + i)), cdrRecorded(first, R + 1_000)];
  const full = [...almostFull, cdrRecorded(revised, R + 1_001, 2)];

  test('statuses and CDR revisions count alike', () => {
    expect(pushesHeld(evolveAll(initialState, almostFull))).toBe(MAX_PUSHES_PER_CALL - 1);
    expect(pushesHeld(evolveAll(initialState, full))).toBe(MAX_PUSHES_PER_CALL);
  });

  test('the last place is taken; past it a new status and a new CDR content are refused, saying why', () => {
    const another = status({ eventType: 4, eventTime: T0 + 999_000 });
    given(almostFull).when(recordStatus(another, R + 2_000)).thenOutcome('applied');
    given(full).when(recordStatus(another, R + 2_000)).thenOutcome('rejected', `holds ${MAX_PUSHES_PER_CALL} distinct pushes`);
    given(full).when(recordCdr(cdr({ cdrCreateTime: T0 + 3 }), R + 2_000)).thenOutcome('rejected', `holds ${MAX_PUSHES_PER_CALL}`);
    given(full).when(recordCdr(cdr({ cdrType: 2 }), R + 2_000)).thenOutcome('rejected', `holds ${MAX_PUSHES_PER_CALL}`);
  });

  test('a full call still answers the retries of what it holds as duplicates', () => {
    given(full).when(recordStatus(statuses[7]!, R + 3_000)).thenOutcome('duplicate');
    given(full).when(recordStatus({ ...statuses[7]!, caller: '19999999999' }, R + 3_000)).thenOutcome('conflicting-duplicate');
    given(full).when(recordCdr(revised, R + 3_000)).thenOutcome('duplicate');
  });

  test('a full call is still finalised and reconciled by the CDR it holds', () => {
    given(full).when(reconcileCall(callId, R + 4_000)).thenEvents((e) => expect(e.map((x) => x.type)).toEqual(['CallFinalised']));
  });

  test('a call full of statuses still takes its first CDR, whenever it comes: it is finalised; a second record is refused', () => {
    const onlyStatuses = Array.from({ length: MAX_PUSHES_PER_CALL }, (_, i) => statusRecorded(status({ eventType: 2, eventTime: T0 + i * 1000 }), R + i));
    given(onlyStatuses).when(recordCdr(first, R + 5_000)).thenOutcome('applied');
    given([...onlyStatuses, cdrRecorded(first, R + 5_000)]).when(recordCdr(revised, R + 5_001)).thenOutcome('rejected', `holds ${MAX_PUSHES_PER_CALL}`);
  });
});

describe('ReconcileCall', () => {
  test('on an empty stream: rejected', () => {
    given([]).when(reconcileCall(callId, R)).thenOutcome('rejected');
  });

  test('without a CDR: noop', () => {
    given([statusRecorded(status(), R)]).when(reconcileCall(callId, R)).thenOutcome('noop', 'no CDR');
  });

  test('with a CDR: CallFinalised carrying the reconciliation of all facts', () => {
    const events = finalisedCall().slice(0, -1);
    const c = (events.at(-1) as { data: { push: ReturnType<typeof cdr> } }).data.push;
    given(events)
      .when(reconcileCall(callId, R + 50))
      .then([
        {
          type: 'CallFinalised',
          data: { callId, finalizedAt: R + 50, cdrKey: cdrPushKey(c), reconciliation: { status: 'MATCHED', findings: [] } },
        },
      ])
      .thenState((s) => {
        expect(s.status).toBe('FINALIZED');
        expect(s.finalizedAt).toBe(R + 50);
      });
  });

  test('already finalised, nothing changed: noop', () => {
    given(finalisedCall()).when(reconcileCall(callId, R + 60)).thenOutcome('noop', 'unchanged');
  });

  test('already finalised, a late status came: CallReconciled with LATE_STATUS_EVENT', () => {
    const events = finalisedCall();
    const late = status({ eventType: 2, party: 2, eventTime: T0 + 2000 });
    given([...events, statusRecorded(late, R + 70, true)])
      .when(reconcileCall(callId, R + 71))
      .thenEvents((e) => {
        expect(e).toHaveLength(1);
        expect(e[0]!.type).toBe('CallReconciled');
        if (e[0]!.type !== 'CallReconciled') return;
        expect(e[0].data.previous).toEqual({ status: 'MATCHED', findings: [] });
        expect(e[0].data.reconciledAt).toBe(R + 71);
        expect(codesOf(e[0].data.reconciliation.findings)).toEqual(['LATE_STATUS_EVENT']);
        expect(e[0].data.reconciliation.status).toBe('MATCHED');
      })
      .thenState((s) => expect(s.finalizedAt).toBe(R + 10));
  });

  test('force-finalised then a CDR: CallFinalised, status FINALIZED', () => {
    const c = cdr();
    given([
      statusRecorded(status(), R),
      { type: 'CallForceFinalised', data: { callId, finalizedAt: R + 1, reason: 'x', reconciliation: { status: 'PENDING', findings: [] } } },
      cdrRecorded(c, R + 2),
    ])
      .when(reconcileCall(callId, R + 3))
      .thenEvents((e) => expect(e.map((x) => x.type)).toEqual(['CallFinalised']))
      .thenState((s) => {
        expect(s.status).toBe('FINALIZED');
        expect(s.finalizedAt).toBe(R + 3);
      });
  });
});

describe('FlagCdrOverdue', () => {
  const after = 40 * 60_000;
  test('on an empty stream: rejected', () => {
    given([]).when(flagCdrOverdue(callId, after, R)).thenOutcome('rejected');
  });
  test('a later push postpones the flag: the delay runs from the last push, not the first', () => {
    const later = R + 10 * 60_000;
    given([statusRecorded(status({ eventType: 1 }), R), statusRecorded(status({ eventType: 2, eventTime: T0 + 10_000 }), later)])
      .when(flagCdrOverdue(callId, after, R + after))
      .thenOutcome('noop', 'not overdue');
  });
  test('before the delay since the last push: noop', () => {
    given([statusRecorded(status(), R)]).when(flagCdrOverdue(callId, after, R + after - 1)).thenOutcome('noop', 'not overdue');
  });
  test('the delay after the last push: CdrOverdueFlagged', () => {
    given([statusRecorded(status(), R), statusRecorded(status({ eventType: 2 }), R + 5000)])
      .when(flagCdrOverdue(callId, after, R + 5000 + after))
      .then([{ type: 'CdrOverdueFlagged', data: { callId, flaggedAt: R + 5000 + after, lastPushAt: R + 5000, overdueAfterMs: after } }])
      .thenState((s) => expect(s.cdrOverdue).toBe(true));
  });
  test('already flagged: noop', () => {
    given([statusRecorded(status(), R), { type: 'CdrOverdueFlagged', data: { callId, flaggedAt: R + after, lastPushAt: R, overdueAfterMs: after } }])
      .when(flagCdrOverdue(callId, after, R + 3 * after))
      .thenOutcome('noop', 'already');
  });
  test('a CDR came: noop', () => {
    given([cdrRecorded(cdr(), R)]).when(flagCdrOverdue(callId, after, R + 2 * after)).thenOutcome('noop');
  });
  test('finalised: noop', () => {
    given(finalisedCall()).when(flagCdrOverdue(callId, after, R + 2 * after)).thenOutcome('noop', 'finalised');
  });
  test('the CDR clears the flag; so does a later status, the delay running again from it', () => {
    const flagged = [statusRecorded(status(), R), { type: 'CdrOverdueFlagged', data: { callId, flaggedAt: R + after, lastPushAt: R, overdueAfterMs: after } } as CallSessionEvent];
    given(flagged)
      .when(recordStatus(status({ eventType: 2 }), R + after + 10))
      .thenState((s) => {
        expect(s.cdrOverdue).toBe(false);
        expect(s.lastPushAt).toBe(R + after + 10);
      });
    const statusAfterFlag = [...flagged, statusRecorded(status({ eventType: 2 }), R + after + 10)];
    given(statusAfterFlag).when(flagCdrOverdue(callId, after, R + 2 * after)).thenOutcome('noop', 'not overdue');
    given(statusAfterFlag).when(flagCdrOverdue(callId, after, R + 2 * after + 10)).thenOutcome('applied');
    given(flagged)
      .when(recordCdr(cdr(), R + after + 10))
      .thenState((s) => expect(s.cdrOverdue).toBe(false));
  });
});

describe('ForceFinalise', () => {
  test('on an empty stream: rejected', () => {
    given([]).when(forceFinalise(callId, 'x', R)).thenOutcome('rejected');
  });
  test('an open call without CDR: CallForceFinalised, FINALIZED_WITHOUT_CDR, ENDED', () => {
    const p = status({ eventType: 9 });
    given([statusRecorded(p, R)])
      .when(forceFinalise(callId, 'operator', R + 10))
      .then([
        {
          type: 'CallForceFinalised',
          data: {
            callId,
            finalizedAt: R + 10,
            reason: 'operator',
            reconciliation: {
              status: 'PENDING',
              findings: [{ code: 'UNKNOWN_ENUM_VALUE', severity: 'info', message: 'eventType 9 is not a known value', actual: 9 }],
            },
          },
        },
      ])
      .thenState((s) => {
        expect(s.status).toBe('FINALIZED_WITHOUT_CDR');
        expect(s.forceFinaliseReason).toBe('operator');
      });
  });
  test('already finalised: rejected', () => {
    given(finalisedCall()).when(forceFinalise(callId, 'x', R + 99)).thenOutcome('rejected', 'FINALIZED');
  });
  test('a CDR is there: rejected (ReconcileCall finalises it)', () => {
    given([cdrRecorded(cdr(), R)]).when(forceFinalise(callId, 'x', R + 1)).thenOutcome('rejected', 'CDR');
  });
});
