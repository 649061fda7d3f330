import { describe, test, expect } from '@jest/globals';
import {
  T0,
  aCdrPush,
  aNote,
  aStatusPush,
  anAnsweredCall,
  anSmsRecord,
  anUnansweredCall,
  aPrivacyAxbCall,
  applyAll,
  flagCdrOverdue,
  flowCommands,
  forceFinalise,
  recordCdr,
  recordStatus,
} from '../../../testing/src/index.js';
import { toCallView } from './call-view.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('toCallView (contract §3)', () => {
  test('times up to the latest a push may carry (MAX_TIME_MS of the contracts, 8.64e15 ms) still give a view', () => {
    const latest = 8.64e15;
    const callId = 'NM-view-latest';
    const view = toCallView(
      applyAll([
        recordStatus(aStatusPush({ callId, eventType: 1, eventTime: latest })),
        recordCdr(aCdrPush({ callId, beginCallTime: latest, ringTime: latest, startTime: latest, endTime: latest, cdrCreateTime: latest })),
      ]),
    );
    expect(view.cdr).toMatchObject({ beginCallTime: iso(latest), startTime: iso(latest), endTime: iso(latest) });
    expect(() => toCallView(applyAll([recordCdr(aCdrPush({ callId, startTime: latest + 1 }))]))).toThrow(RangeError);
  });

  test('an answered call, finalised: every field', () => {
    const flow = anAnsweredCall({ callId: 'NM-view-1' });
    const cmds = flowCommands(flow, T0 + 100_000);
    const view = toCallView(applyAll(cmds));
    const c = flow.cdrs[0]!;
    expect(Object.keys(view).sort()).toEqual(
      [
        'callId', 'accountId', 'serviceType', 'subscriptionId', 'caller', 'callee', 'status', 'callState', 'legs',
        'events', 'cdr', 'outcome', 'privacy', 'reconciliation', 'flags', 'userData', 'version', 'openedAt', 'finalizedAt',
      ].sort(),
    );
    expect(view).toMatchObject({
      callId: 'NM-view-1',
      accountId: '10001',
      serviceType: 100,
      subscriptionId: 'sub123456',
      caller: '13100001111',
      callee: '13100002222',
      status: 'FINALIZED',
      callState: 'ENDED',
      legs: { A: 'NONE', B: 'NONE' },
      outcome: { callResult: 1, name: 'ANSWERED', durationSeconds: c.callDuration },
      privacy: null,
      reconciliation: { status: 'MATCHED', findings: [] },
      flags: [],
      userData: c.userData,
      version: 6,
      openedAt: iso(T0 + 100_000),
      finalizedAt: iso(T0 + 104_000),
    });
    expect(view.events).toEqual(
      flow.statuses.map((s, i) => ({
        eventType: s.eventType,
        name: ['INITIATED', 'RINGING', 'ANSWERED', 'HUNG_UP'][i],
        party: null,
        eventTime: iso(s.eventTime),
        receivedAt: iso(T0 + 100_000 + i * 1000),
        late: false,
      })),
    );
    expect(view.cdr).toMatchObject({
      beginCallTime: iso(c.beginCallTime),
      ringTime: iso(c.ringTime),
      startTime: iso(c.startTime),
      endTime: iso(c.endTime),
      cdrCreateTime: iso(c.cdrCreateTime!),
      callDuration: c.callDuration,
      callDisplayType: null,
      audioRecordFlag: null,
    });
  });

  test('cdr times of 0 are null; unanswered outcome name', () => {
    const flow = anUnansweredCall({ rang: false, callResult: 2 });
    const view = toCallView(applyAll(flowCommands(flow)));
    expect(view.cdr).toMatchObject({ ringTime: null, startTime: null });
    expect(view.outcome).toEqual({ callResult: 2, name: 'POWERED_OFF', durationSeconds: 0 });
  });

  test('unknown callResult: name null', () => {
    const flow = anUnansweredCall({ callResult: 99 });
    expect(toCallView(applyAll(flowCommands(flow))).outcome).toEqual({ callResult: 99, name: null, durationSeconds: 0 });
  });

  test('events ordered by eventTime, then eventType, then party, whatever the arrival', () => {
    const callId = 'NM-view-order';
    const s = (eventType: number, party: number | null, t: number) => aStatusPush({ callId, eventType, party, eventTime: T0 + t });
    const view = toCallView(
      applyAll([recordStatus(s(2, 2, 2000), T0 + 1), recordStatus(s(1, 2, 2000), T0 + 2), recordStatus(s(1, 1, 0), T0 + 3), recordStatus(s(1, null, 2000), T0 + 4)]),
    );
    expect(view.events.map((e) => [e.eventType, e.party])).toEqual([[1, 1], [1, null], [1, 2], [2, 2]]);
    expect(view.legs).toEqual({ A: 'INITIATED', B: 'RINGING' });
    expect(view.callState).toBe('RINGING');
  });

  test('privacy AXB: privacy block, both legs, callDisplayType', () => {
    const flow = aPrivacyAxbCall();
    const view = toCallView(applyAll(flowCommands(flow)));
    expect(view.privacy).toEqual({ phoneNoX: '13100003333', phoneNoA: '13100001111', phoneNoB: '13100002222', secretCallType: 11 });
    expect(view.legs).toEqual({ A: 'ENDED', B: 'ENDED' });
    expect(view.cdr?.callDisplayType).toBe(1);
    expect(view.reconciliation.status).toBe('MATCHED');
  });

  test('privacy before the CDR comes from the statuses', () => {
    const flow = aPrivacyAxbCall();
    const view = toCallView(applyAll(flow.statuses.slice(0, 2).map((p) => recordStatus(p))));
    expect(view.privacy).toEqual({ phoneNoX: '13100003333', phoneNoA: '13100001111', phoneNoB: '13100002222', secretCallType: null });
    expect(view).toMatchObject({ status: 'OPEN', cdr: null, outcome: null, finalizedAt: null, reconciliation: { status: 'PENDING', findings: [] } });
  });

  test('serviceType 100 carrying privacy fields: privacy null, PRIVACY_FIELDS_IGNORED', () => {
    const c = aCdrPush({ callId: 'NM-view-100', phoneNoX: '13100003333' });
    const view = toCallView(applyAll([recordCdr(c)]));
    expect(view.privacy).toBeNull();
    expect(view.reconciliation.status).toBe('CDR_ONLY');
    expect(view.reconciliation.findings.map((f) => f.code)).toEqual(['PRIVACY_FIELDS_IGNORED']);
  });

  test('SMS: finalised with no statuses, SMS outcome name, CDR_ONLY', () => {
    const view = toCallView(applyAll(flowCommands(anSmsRecord({ callResult: 1004 }))));
    expect(view).toMatchObject({
      status: 'FINALIZED',
      callState: 'ENDED',
      outcome: { callResult: 1004, name: 'REJECTED', durationSeconds: 0 },
      reconciliation: { status: 'CDR_ONLY', findings: [] },
      events: [],
    });
    expect(view.privacy?.secretCallType).toBe(10);
  });

  test('info findings show while PENDING', () => {
    const s = aStatusPush({ callId: 'NM-view-info', eventType: 8, notes: [aNote('TIME_UNIT_CORRECTED', 'eventTime', 1, 2)] });
    const view = toCallView(applyAll([recordStatus(s)]));
    expect(view.reconciliation.status).toBe('PENDING');
    expect(view.reconciliation.findings.map((f) => f.code)).toEqual(['TIME_UNIT_CORRECTED', 'UNKNOWN_ENUM_VALUE']);
    expect(view.events).toMatchObject([{ eventType: 8, name: null }]);
    expect(view.callState).toBe('NONE');
  });

  test("identity from the statuses before the CDR (earliest first), from the CDR after; the statuses' still where the CDR sends none", () => {
    const callId = 'NM-view-id';
    const late = aStatusPush({ callId, eventType: 2, eventTime: T0 + 2000, caller: 'B', userData: 'u2' });
    const early = aStatusPush({ callId, eventType: 1, eventTime: T0, caller: 'A', userData: null });
    const open = toCallView(applyAll([recordStatus(late), recordStatus(early)]));
    expect(open).toMatchObject({ caller: 'A', userData: 'u2' });
    const done = toCallView(applyAll([recordStatus(late), recordStatus(early), recordCdr(aCdrPush({ callId, caller: 'C', userData: null }))]));
    expect(done).toMatchObject({ caller: 'C', userData: 'u2' });
    const bare = aCdrPush({ callId, caller: null, callee: null, subscriptionId: null, userData: '' });
    const quiet = { ...early, callee: null, subscriptionId: null };
    const late2 = { ...late, callee: 'Q', subscriptionId: 'sub-9' };
    expect(toCallView(applyAll([recordStatus(late2), recordStatus(quiet), recordCdr(bare)]))).toMatchObject({
      caller: 'A',
      callee: 'Q',
      subscriptionId: 'sub-9',
      userData: 'u2',
    });
    expect(toCallView(applyAll([recordCdr(bare)]))).toMatchObject({ caller: null, callee: null, subscriptionId: null, userData: null });
  });

  test('flags: CDR_OVERDUE until the CDR comes; FINALIZED_WITHOUT_CDR keeps PENDING', () => {
    const callId = 'NM-view-flag';
    const s = aStatusPush({ callId });
    const flagged = [recordStatus(s, T0), flagCdrOverdue(callId, 1000, T0 + 1000)];
    expect(toCallView(applyAll(flagged)).flags).toEqual(['CDR_OVERDUE']);
    expect(toCallView(applyAll([...flagged, recordCdr(aCdrPush({ callId }), T0 + 2000)])).flags).toEqual([]);
    const forced = toCallView(applyAll([recordStatus(s, T0), forceFinalise(callId, 'gone', T0 + 5000)]));
    expect(forced).toMatchObject({ status: 'FINALIZED_WITHOUT_CDR', callState: 'ENDED', finalizedAt: iso(T0 + 5000), reconciliation: { status: 'PENDING' } });
  });

  test('flags: a status received before the sweep and committed after its flag (two instances) gives the view the other order gives', () => {
    const callId = 'NM-view-flag-race';
    const first = recordStatus(aStatusPush({ callId, eventType: 1 }), T0);
    const second = recordStatus(aStatusPush({ callId, eventType: 2 }), T0 + 995);
    const sweep = flagCdrOverdue(callId, 1000, T0 + 1000);
    expect(toCallView(applyAll([first, second, sweep])).flags).toEqual([]);
    expect(toCallView(applyAll([first, sweep, second])).flags).toEqual([]);
  });

  test('flags: a status after a forced finalisation leaves CDR_OVERDUE (the CDR never came)', () => {
    const callId = 'NM-view-flag-forced';
    const view = toCallView(
      applyAll([
        recordStatus(aStatusPush({ callId, eventType: 1 }), T0),
        flagCdrOverdue(callId, 1000, T0 + 1000),
        forceFinalise(callId, 'gone', T0 + 2000),
        recordStatus(aStatusPush({ callId, eventType: 4 }), T0 + 3000),
      ]),
    );
    expect(view).toMatchObject({ status: 'FINALIZED_WITHOUT_CDR', flags: ['CDR_OVERDUE'] });
    expect(view.events.map((e) => e.late)).toEqual([false, true]);
  });

  test('the revised CDR with the later cdrCreateTime is the one shown', () => {
    const c = anAnsweredCall({ callId: 'NM-view-rev' }).cdrs[0]!;
    const later = { ...c, callResult: 9, startTime: 0, callDuration: 0, cdrCreateTime: c.cdrCreateTime! + 1000 };
    for (const order of [[c, later], [later, c]]) {
      const view = toCallView(applyAll(order.map((p) => recordCdr(p))));
      expect(view.outcome).toEqual({ callResult: 9, name: 'REJECTED', durationSeconds: 0 });
      expect(view.reconciliation.findings.map((f) => f.code)).toEqual(['CDR_REVISED']);
    }
  });
});
