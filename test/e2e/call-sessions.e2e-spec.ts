import { describe, expect, test } from '@jest/globals';
import { useTestService, type TestService } from '../support/test-service.js';
import {
  T0_SECONDS,
  anAnsweredWireCall,
  cdrWire,
  getCall,
  getHistory,
  pause,
  pollUntil,
  push,
  sample,
  statusWire,
  uniqueAccountId,
  uniqueCallId,
  type WireBody,
} from '../support/wire-pushes.js';

/** Every field of the call view, contract §3. */
const VIEW_FIELDS = [
  'callId',
  'accountId',
  'serviceType',
  'subscriptionId',
  'caller',
  'callee',
  'status',
  'callState',
  'legs',
  'events',
  'cdr',
  'outcome',
  'privacy',
  'reconciliation',
  'flags',
  'userData',
  'version',
  'openedAt',
  'finalizedAt',
].sort();

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const isoOf = (seconds: number) => new Date(seconds * 1000).toISOString();
const codes = (view: any): string[] => view.reconciliation.findings.map((f: { code: string }) => f.code).sort();
const historyTypes = (history: any[]) => history.map((e) => e.type);

async function sendAll(service: TestService, pushes: { kind: 'status' | 'cdr'; body: WireBody }[]) {
  for (const p of pushes) await push(service, p.kind, p.body);
}

describe('call sessions (contract §2, §3)', () => {
  const service = useTestService();

  test("the spec's two examples (status, then CDR): a finalised call with the contract's view", async () => {
    const callId = uniqueCallId();
    await push(service(), 'status', { ...sample('status-spec-example.json'), callId });
    await push(service(), 'cdr', { ...sample('cdr-spec-example.json'), callId });

    const view = await getCall(service(), callId);
    expect(Object.keys(view).sort()).toEqual(VIEW_FIELDS);
    expect(view).toMatchObject({
      callId,
      accountId: '1', // the CDR is authoritative
      serviceType: 100,
      subscriptionId: 'sub123456',
      caller: '13100001111',
      callee: '13100002222',
      status: 'FINALIZED',
      callState: 'ENDED',
      legs: { A: 'RINGING', B: 'NONE' },
      outcome: { callResult: 1, name: 'ANSWERED', durationSeconds: 20 },
      privacy: null,
      flags: [],
      userData: '{"orderId":"123456"}',
      version: 3, // StatusRecorded, CdrRecorded, CallFinalised
    });
    expect(view.events).toEqual([
      {
        eventType: 2,
        name: 'RINGING',
        party: 1,
        eventTime: '2020-12-10T08:28:23.000Z',
        receivedAt: expect.stringMatching(ISO),
        late: false,
      },
    ]);
    expect(view.cdr).toEqual({
      cdrType: 1,
      serviceType: 100,
      subServiceType: 101,
      accountId: '1',
      caller: '13100001111',
      callee: '13100002222',
      beginCallTime: '2020-12-10T08:28:23.000Z',
      ringTime: '2020-12-10T08:28:23.000Z',
      startTime: '2020-12-10T08:28:24.000Z',
      endTime: '2020-12-10T08:28:43.000Z',
      callDuration: 20,
      callResult: 1,
      releaseType: 1,
      cdrCreateTime: '2020-12-10T08:28:44.000Z',
      subscriptionId: 'sub123456',
      phoneNoX: '13100003333',
      phoneNoA: '13100001111',
      phoneNoB: '13100002222',
      secretCallType: 10,
      callDisplayType: 1,
      audioRecordFlag: 1,
      userData: '{"orderId":"123456"}',
    });
    expect(view.openedAt).toMatch(ISO);
    expect(view.finalizedAt).toMatch(ISO);
    expect(Date.parse(view.finalizedAt)).toBeGreaterThanOrEqual(Date.parse(view.openedAt));

    // accountId '10001' (status) vs '1' (CDR): an error; only RINGING came: ANSWERED / HUNG_UP unseen.
    expect(view.reconciliation.status).toBe('DISCREPANCY');
    expect(codes(view)).toEqual(
      ['ANSWER_NOT_OBSERVED', 'HANGUP_NOT_OBSERVED', 'IDENTITY_MISMATCH', 'PRIVACY_FIELDS_IGNORED'].sort(),
    );
    const byCode = (code: string) => view.reconciliation.findings.find((f: { code: string }) => f.code === code);
    expect(byCode('IDENTITY_MISMATCH')).toMatchObject({ severity: 'error', expected: '1', actual: '10001' });
    expect(byCode('PRIVACY_FIELDS_IGNORED')).toMatchObject({ severity: 'info' });
    expect(byCode('PRIVACY_FIELDS_IGNORED').actual).toEqual(
      expect.arrayContaining(['cdr.phoneNoX', 'cdr.phoneNoA', 'cdr.phoneNoB', 'status.phoneNoX']),
    );
    for (const f of view.reconciliation.findings) expect(typeof f.message).toBe('string');
  });

  test('a full answered call in order: MATCHED, no findings, events in order', async () => {
    const call = anAnsweredWireCall();
    await sendAll(service(), [...call.statuses.map((body) => ({ kind: 'status' as const, body })), { kind: 'cdr', body: call.cdr }]);

    const view = await getCall(service(), call.callId);
    expect(view.status).toBe('FINALIZED');
    expect(view.callState).toBe('ENDED');
    expect(view.reconciliation).toEqual({ status: 'MATCHED', findings: [] });
    expect(view.events.map((e: any) => [e.eventType, e.name, e.eventTime, e.late])).toEqual([
      [1, 'INITIATED', isoOf(T0_SECONDS), false],
      [2, 'RINGING', isoOf(T0_SECONDS + 2), false],
      [3, 'ANSWERED', isoOf(T0_SECONDS + 5), false],
      [4, 'HUNG_UP', isoOf(T0_SECONDS + 25), false],
    ]);
    expect(view.outcome).toEqual({ callResult: 1, name: 'ANSWERED', durationSeconds: 20 });
  });

  test('CDR first, statuses shuffled after it: the same call as in order, every status late', async () => {
    const accountId = uniqueAccountId();
    const inOrder = anAnsweredWireCall({ accountId });
    await sendAll(service(), [...inOrder.statuses.map((body) => ({ kind: 'status' as const, body })), { kind: 'cdr', body: inOrder.cdr }]);

    const reversed = anAnsweredWireCall({ accountId });
    const shuffled = [3, 1, 4, 2].map((eventType) => reversed.statuses.find((s) => s.eventType === eventType)!);
    await sendAll(service(), [{ kind: 'cdr', body: reversed.cdr }, ...shuffled.map((body) => ({ kind: 'status' as const, body }))]);

    const late = await getCall(service(), reversed.callId);
    expect(late.status).toBe('FINALIZED');
    expect(late.callState).toBe('ENDED');
    // LATE_STATUS_EVENT is info: nothing above it, so MATCHED
    expect(late.reconciliation.status).toBe('MATCHED');
    expect(codes(late)).toEqual(['LATE_STATUS_EVENT', 'LATE_STATUS_EVENT', 'LATE_STATUS_EVENT', 'LATE_STATUS_EVENT']);
    for (const f of late.reconciliation.findings) expect(f.severity).toBe('info');
    // ordered by eventTime then eventType, not by arrival
    expect(late.events.map((e: any) => e.eventType)).toEqual([1, 2, 3, 4]);
    expect(late.events.every((e: any) => e.late === true)).toBe(true);

    // Apart from arrival-order facts, the two views are the same.
    const comparable = (view: any) => ({
      ...view,
      callId: undefined,
      version: undefined,
      openedAt: undefined,
      finalizedAt: undefined,
      events: view.events.map((e: any) => ({ ...e, receivedAt: undefined, late: undefined })),
      reconciliation: {
        status: view.reconciliation.status,
        findings: view.reconciliation.findings.filter((f: any) => f.code !== 'LATE_STATUS_EVENT'),
      },
    });
    const ordered = await getCall(service(), inOrder.callId);
    expect(ordered.reconciliation).toEqual({ status: 'MATCHED', findings: [] });
    expect(comparable(late)).toEqual(comparable(ordered));

    const history = await getHistory(service(), reversed.callId);
    expect(historyTypes(history).slice(0, 2)).toEqual(['CdrRecorded', 'CallFinalised']);
    expect(historyTypes(history).filter((t) => t === 'StatusRecorded')).toHaveLength(4);
    expect(history.filter((e) => e.type === 'StatusRecorded').every((e) => e.data.late === true)).toBe(true);
  });

  test('the statuses and the CDR sent all at once: finalised, MATCHED apart from late-status info', async () => {
    const call = anAnsweredWireCall();
    const answers = await Promise.all([
      ...call.statuses.map((s) => service().post('/v1/push/status', s)),
      service().post('/v1/push/cdr', call.cdr),
    ]);
    expect(answers.map((a) => [a.status, a.body.duplicate])).toEqual(Array.from({ length: 5 }, () => [200, false]));
    const view = await getCall(service(), call.callId);
    expect(view.status).toBe('FINALIZED');
    expect(view.reconciliation.status).toBe('MATCHED');
    expect(codes(view).filter((c) => c !== 'LATE_STATUS_EVENT')).toEqual([]);
    expect(view.events.map((e: any) => e.eventType)).toEqual([1, 2, 3, 4]);
    const lateCount = view.events.filter((e: any) => e.late).length;
    expect(codes(view).filter((c) => c === 'LATE_STATUS_EVENT')).toHaveLength(lateCount);
    expect(view.outcome).toEqual({ callResult: 1, name: 'ANSWERED', durationSeconds: 20 });
  });

  test('data-quality findings show before the CDR: unknown eventType kept without state change, eventTime in ms', async () => {
    const callId = uniqueCallId();
    await push(service(), 'status', statusWire({ callId, eventType: 7, eventTime: T0_SECONDS + 1 }));
    await push(service(), 'status', { ...statusWire({ callId, eventType: 1, eventTime: 0 }), eventTime: String(T0_SECONDS * 1000) });
    const view = await getCall(service(), callId);
    expect(view.status).toBe('OPEN');
    expect(view.callState).toBe('INITIATED');
    expect(view.events.map((e: any) => [e.eventType, e.name, e.eventTime])).toEqual([
      [1, 'INITIATED', isoOf(T0_SECONDS)],
      [7, null, isoOf(T0_SECONDS + 1)],
    ]);
    expect(view.reconciliation.status).toBe('PENDING');
    expect(codes(view)).toEqual(['TIME_UNIT_CORRECTED', 'UNKNOWN_ENUM_VALUE']);
    for (const f of view.reconciliation.findings) expect(f.severity).toBe('info');
    expect(view.reconciliation.findings.find((f: any) => f.code === 'UNKNOWN_ENUM_VALUE').actual).toBe(7);
  });

  test('every status sent three times: stored once each, then duplicates', async () => {
    const call = anAnsweredWireCall();
    for (const status of call.statuses) {
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push((await push(service(), 'status', status)).duplicate);
      expect(answers).toEqual([false, true, true]);
    }
    const open = await getCall(service(), call.callId);
    expect(open.status).toBe('OPEN');
    expect(open.callState).toBe('ENDED'); // HUNG_UP came
    expect(open.events).toHaveLength(4);
    expect(open.reconciliation).toEqual({ status: 'PENDING', findings: [] });
    expect(open.version).toBe(4);

    await push(service(), 'cdr', call.cdr);
    expect((await push(service(), 'cdr', call.cdr)).duplicate).toBe(true);
    const view = await getCall(service(), call.callId);
    expect(view.events).toHaveLength(4);
    expect(view.reconciliation).toEqual({ status: 'MATCHED', findings: [] });
    const history = await getHistory(service(), call.callId);
    expect(historyTypes(history)).toEqual([
      'StatusRecorded',
      'StatusRecorded',
      'StatusRecorded',
      'StatusRecorded',
      'CdrRecorded',
      'CallFinalised',
    ]);
  });

  test('a duration mismatch (callDuration 50, start → end 20 s): DISCREPANCY', async () => {
    const call = anAnsweredWireCall();
    await sendAll(service(), [
      ...call.statuses.map((body) => ({ kind: 'status' as const, body })),
      { kind: 'cdr', body: { ...call.cdr, callDuration: 50 } },
    ]);
    const view = await getCall(service(), call.callId);
    expect(view.status).toBe('FINALIZED');
    expect(view.reconciliation.status).toBe('DISCREPANCY');
    expect(view.reconciliation.findings).toEqual([
      expect.objectContaining({ code: 'DURATION_MISMATCH', severity: 'error', expected: 20, actual: 50 }),
    ]);
    expect(view.outcome).toEqual({ callResult: 1, name: 'ANSWERED', durationSeconds: 50 });
  });

  test('a connected CDR with statuses 1, 2, 4 but no ANSWERED: WARNINGS, ANSWER_NOT_OBSERVED', async () => {
    const call = anAnsweredWireCall();
    await sendAll(service(), [
      ...call.statuses.filter((s) => s.eventType !== 3).map((body) => ({ kind: 'status' as const, body })),
      { kind: 'cdr', body: call.cdr },
    ]);
    const view = await getCall(service(), call.callId);
    expect(view.status).toBe('FINALIZED');
    expect(view.reconciliation.status).toBe('WARNINGS');
    expect(view.reconciliation.findings).toEqual([
      expect.objectContaining({ code: 'ANSWER_NOT_OBSERVED', severity: 'warning', expected: 3, actual: [1, 2, 4] }),
    ]);
    expect(view.events.map((e: any) => e.eventType)).toEqual([1, 2, 4]);
  });

  test('a CDR alone: FINALIZED, CDR_ONLY, no events', async () => {
    const cdr = cdrWire();
    await push(service(), 'cdr', cdr);
    const view = await getCall(service(), cdr.callId as string);
    expect(Object.keys(view).sort()).toEqual(VIEW_FIELDS);
    expect(view).toMatchObject({
      callId: cdr.callId,
      accountId: '10001',
      status: 'FINALIZED',
      callState: 'ENDED',
      legs: { A: 'NONE', B: 'NONE' },
      events: [],
      outcome: { callResult: 1, name: 'ANSWERED', durationSeconds: 20 },
      reconciliation: { status: 'CDR_ONLY', findings: [] },
      flags: [],
      version: 2,
    });
    expect(view.cdr.startTime).toBe(isoOf(T0_SECONDS + 5));
    expect(view.finalizedAt).toMatch(ISO);
  });

  test('an unanswered CDR: null for the times of 0 in the normalised CDR', async () => {
    const cdr = cdrWire({ startTime: 0, callDuration: 0, callResult: 7 });
    await push(service(), 'cdr', cdr);
    const view = await getCall(service(), cdr.callId as string);
    expect(view.cdr).toMatchObject({ startTime: null, ringTime: isoOf(T0_SECONDS + 2), callDuration: 0, callResult: 7 });
    expect(view.outcome).toEqual({ callResult: 7, name: 'NO_ANSWER', durationSeconds: 0 });
    expect(view.reconciliation).toEqual({ status: 'CDR_ONLY', findings: [] });
  });

  test('an SMS record (cdrType 2) alone: FINALIZED, outcome SENT, no call-only findings', async () => {
    const sms = { ...sample('cdr-sms.json'), callId: uniqueCallId() };
    await push(service(), 'cdr', sms);
    const view = await getCall(service(), sms.callId);
    expect(view).toMatchObject({
      status: 'FINALIZED',
      callState: 'ENDED',
      serviceType: 200,
      outcome: { callResult: 1001, name: 'SENT', durationSeconds: 0 },
      privacy: { phoneNoX: '13100003333', phoneNoA: '13100001111', phoneNoB: '13100002222', secretCallType: 10 },
      events: [],
    });
    expect(view.cdr).toMatchObject({ cdrType: 2, startTime: null, ringTime: null });
    const callOnly = ['DURATION_MISMATCH', 'ANSWER_WITHOUT_CONNECT', 'ANSWER_NOT_OBSERVED', 'HANGUP_NOT_OBSERVED', 'TIME_MISMATCH'];
    expect(codes(view).filter((c) => callOnly.includes(c))).toEqual([]);
    expect(view.reconciliation).toEqual({ status: 'CDR_ONLY', findings: [] });
  });

  test('two-way call legs: party 1 → A, party 2 → B, callState the furthest of them', async () => {
    const callId = uniqueCallId();
    await push(service(), 'status', statusWire({ callId, eventType: 1, eventTime: T0_SECONDS, party: 1 }));
    await push(service(), 'status', statusWire({ callId, eventType: 2, eventTime: T0_SECONDS + 2, party: 1 }));
    await push(service(), 'status', statusWire({ callId, eventType: 3, eventTime: T0_SECONDS + 5, party: 2 }));
    const view = await getCall(service(), callId);
    expect(view).toMatchObject({ status: 'OPEN', callState: 'ANSWERED', legs: { A: 'RINGING', B: 'ANSWERED' } });
    expect(view.events.map((e: any) => [e.eventType, e.party])).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
    ]);
    expect(view.reconciliation).toEqual({ status: 'PENDING', findings: [] });
    expect(view.cdr).toBeNull();
    expect(view.outcome).toBeNull();
    expect(view.finalizedAt).toBeNull();
  });

  test('GET /v1/calls/{unknown} → 404 NOT_FOUND; its history → 404', async () => {
    const callId = uniqueCallId();
    const answer = await service().get(`/v1/calls/${callId}`);
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ error: 'NOT_FOUND' });
    const history = await service().get(`/v1/calls/${callId}/history`);
    expect(history.status).toBe(404);
    expect(history.body).toMatchObject({ error: 'NOT_FOUND' });
  });

  test('a callId with U+0000 (no call can have one) → 404, not a 500 from the query', async () => {
    expect((await service().get('/v1/calls/a%00b')).status).toBe(404);
    expect((await service().get('/v1/calls/a%00b/history')).status).toBe(404);
  });

  test('a callId of 128 characters, astral ones and variation selectors included, is read back by its view and history routes', async () => {
    // the longest as validation counts: an astral character and a variation selector are one
    for (const callId of ['c'.repeat(128), '\u{1F4DE}'.repeat(128), '\u{1F44D}\uFE0F'.repeat(128)]) {
      await push(service(), 'status', statusWire({ callId, eventType: 1, eventTime: T0_SECONDS }));
      expect((await getCall(service(), callId)).callId).toBe(callId);
      expect(await getHistory(service(), callId)).toHaveLength(1);
    }
  });

  test('history: the domain events in version order, 1..n, with their data', async () => {
    const call = anAnsweredWireCall();
    await sendAll(service(), [...call.statuses.map((body) => ({ kind: 'status' as const, body })), { kind: 'cdr', body: call.cdr }]);
    const history = await getHistory(service(), call.callId);
    expect(history.map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(historyTypes(history)).toEqual([
      'StatusRecorded',
      'StatusRecorded',
      'StatusRecorded',
      'StatusRecorded',
      'CdrRecorded',
      'CallFinalised',
    ]);
    for (const e of history) {
      expect(Object.keys(e).sort()).toEqual(['data', 'occurredAt', 'recordedAt', 'type', 'version']);
      expect(e.occurredAt).toMatch(ISO);
      expect(e.recordedAt).toMatch(ISO);
      expect(e.data.callId).toBe(call.callId);
    }
    expect(history.slice(0, 4).map((e) => e.data.push.eventType)).toEqual([1, 2, 3, 4]);
    expect(history[0].data.push.eventTime).toBe(T0_SECONDS * 1000);
    expect(history[4].data.push.callDuration).toBe(20);
    const view = await getCall(service(), call.callId);
    expect(history[5].data.reconciliation).toEqual(view.reconciliation);
    expect(view.version).toBe(6);
  });

  test('a status after finalisation: recorded late, call reconciled again, outcome unchanged', async () => {
    const call = anAnsweredWireCall();
    await sendAll(service(), [...call.statuses.map((body) => ({ kind: 'status' as const, body })), { kind: 'cdr', body: call.cdr }]);
    const before = await getCall(service(), call.callId);
    expect(before.reconciliation).toEqual({ status: 'MATCHED', findings: [] });

    const lateRinging = statusWire({ callId: call.callId, eventType: 2, eventTime: T0_SECONDS + 3, party: 2 });
    expect((await push(service(), 'status', lateRinging)).duplicate).toBe(false);

    const view = await getCall(service(), call.callId);
    expect(view.status).toBe('FINALIZED');
    expect(view.callState).toBe('ENDED');
    expect(view.outcome).toEqual(before.outcome);
    expect(view.cdr).toEqual(before.cdr);
    expect(view.finalizedAt).toBe(before.finalizedAt);
    expect(view.legs.B).toBe('RINGING');
    expect(view.events).toHaveLength(5);
    expect(view.events.map((e: any) => [e.eventType, e.party, e.late])).toEqual([
      [1, null, false],
      [2, null, false],
      [2, 2, true],
      [3, null, false],
      [4, null, false],
    ]);
    expect(view.reconciliation.status).toBe('MATCHED');
    expect(view.reconciliation.findings).toEqual([
      expect.objectContaining({
        code: 'LATE_STATUS_EVENT',
        severity: 'info',
        actual: { eventType: 2, party: 2, eventTime: (T0_SECONDS + 3) * 1000 },
      }),
    ]);
    expect(view.version).toBe(before.version + 2);

    const history = await getHistory(service(), call.callId);
    expect(historyTypes(history).slice(-3)).toEqual(['CallFinalised', 'StatusRecorded', 'CallReconciled']);
    expect(history.at(-1).data.previous).toEqual(before.reconciliation);
    expect(history.at(-1).data.reconciliation).toEqual(view.reconciliation);
  });

  describe('GET /v1/calls', () => {
    const list = async (query: string) => {
      const answer = await service().get(`/v1/calls?${query}`);
      expect(answer.status).toBe(200);
      expect(Object.keys(answer.body).sort()).toEqual(['items', 'nextCursor']);
      return answer.body as { items: any[]; nextCursor: string | null };
    };
    const ids = (page: { items: any[] }) => page.items.map((v) => v.callId);
    const cursorOf = (...parts: string[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');

    test('filters: accountId, status, reconciliation, callResult, from/to, limit', async () => {
      const accountId = uniqueAccountId();
      const q = (extra = '') => `accountId=${encodeURIComponent(accountId)}${extra}`;

      // opened in this order; a short pause keeps their openedAt apart
      const open = statusWire({ callId: uniqueCallId(), accountId, eventType: 1, eventTime: T0_SECONDS });
      await push(service(), 'status', open);
      await pause(5);
      const matched = anAnsweredWireCall({ accountId });
      await sendAll(service(), [...matched.statuses.map((body) => ({ kind: 'status' as const, body })), { kind: 'cdr', body: matched.cdr }]);
      await pause(5);
      const cdrOnly = cdrWire({ accountId, startTime: 0, callDuration: 0, callResult: 7 });
      await push(service(), 'cdr', cdrOnly);
      await pause(5);
      const discrepancy = cdrWire({ accountId, callDuration: 50 });
      await push(service(), 'cdr', discrepancy);

      const all = await list(q());
      expect(ids(all)).toEqual([discrepancy.callId, cdrOnly.callId, matched.callId, open.callId]);
      expect(all.nextCursor).toBeNull();
      expect(all.items[2]).toEqual(await getCall(service(), matched.callId));
      expect(ids(await list(`accountId=${uniqueAccountId()}`))).toEqual([]);

      expect(ids(await list(q('&status=OPEN')))).toEqual([open.callId]);
      expect(ids(await list(q('&status=FINALIZED')))).toEqual([discrepancy.callId, cdrOnly.callId, matched.callId]);

      expect(ids(await list(q('&reconciliation=PENDING')))).toEqual([open.callId]);
      expect(ids(await list(q('&reconciliation=MATCHED')))).toEqual([matched.callId]);
      expect(ids(await list(q('&reconciliation=CDR_ONLY')))).toEqual([cdrOnly.callId]);
      expect(ids(await list(q('&reconciliation=DISCREPANCY')))).toEqual([discrepancy.callId]);
      expect(ids(await list(q('&reconciliation=WARNINGS')))).toEqual([]);

      expect(ids(await list(q('&callResult=7')))).toEqual([cdrOnly.callId]);
      expect(ids(await list(q('&callResult=1')))).toEqual([discrepancy.callId, matched.callId]);
      expect(ids(await list(q('&callResult=1&status=FINALIZED&reconciliation=MATCHED')))).toEqual([matched.callId]);

      // from/to on openedAt (ISO); bounds placed between the calls' openedAt
      const openedAt = async (callId: string) => Date.parse((await getCall(service(), callId)).openedAt);
      const [tOpen, tMatched, tCdrOnly, tDiscrepancy] = await Promise.all(
        [open.callId as string, matched.callId, cdrOnly.callId as string, discrepancy.callId as string].map(openedAt),
      );
      expect(tOpen).toBeLessThan(tMatched);
      expect(tMatched).toBeLessThan(tCdrOnly);
      expect(tCdrOnly).toBeLessThan(tDiscrepancy);
      const between = (a: number, b: number) => encodeURIComponent(new Date(a + Math.floor((b - a) / 2) + 1).toISOString());
      const afterOpen = between(tOpen, tMatched);
      const afterCdrOnly = between(tCdrOnly, tDiscrepancy);
      expect(ids(await list(q(`&from=${afterOpen}`)))).toEqual([discrepancy.callId, cdrOnly.callId, matched.callId]);
      expect(ids(await list(q(`&to=${afterCdrOnly}`)))).toEqual([cdrOnly.callId, matched.callId, open.callId]);
      expect(ids(await list(q(`&from=${afterOpen}&to=${afterCdrOnly}`)))).toEqual([cdrOnly.callId, matched.callId]);

      const limited = await list(q('&limit=2'));
      expect(ids(limited)).toEqual([discrepancy.callId, cdrOnly.callId]);
      expect(typeof limited.nextCursor).toBe('string');
      const rest = await list(q(`&limit=2&cursor=${encodeURIComponent(limited.nextCursor!)}`));
      expect(ids(rest)).toEqual([matched.callId, open.callId]);
      expect(rest.nextCursor).toBeNull();
    });

    test('cursor pages: 7 calls, limit 3 → 3 + 3 + 1, newest first, no overlap', async () => {
      const accountId = uniqueAccountId();
      const created: string[] = [];
      for (let i = 0; i < 7; i++) {
        const body = statusWire({ callId: uniqueCallId(), accountId, eventType: 1, eventTime: T0_SECONDS + i });
        await push(service(), 'status', body);
        created.push(body.callId as string);
        await pause(3);
      }
      const pages: { items: any[]; nextCursor: string | null }[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: any[]; nextCursor: string | null } = await list(
          `accountId=${encodeURIComponent(accountId)}&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        pages.push(page);
        cursor = page.nextCursor;
      } while (cursor !== null && pages.length < 10);

      expect(pages.map((p) => p.items.length)).toEqual([3, 3, 1]);
      expect(pages.map((p) => p.nextCursor === null)).toEqual([false, false, true]);
      const walked = pages.flatMap(ids);
      expect(new Set(walked).size).toBe(7);
      expect(walked).toEqual([...created].reverse());
      const opened = pages.flatMap((p) => p.items.map((v) => Date.parse(v.openedAt)));
      expect(opened).toEqual([...opened].sort((a, b) => b - a));
    });

    test.each([
      ['limit=0'],
      ['limit=501'],
      ['limit=abc'],
      ['cursor=garbage'],
      ['callResult=x'],
      // Number() reads these as numbers; a query parameter's integer is decimal digits
      ['callResult=0x1'],
      ['limit=1e2'],
      ['limit=%2010'],
      ['from=not-a-date'],
      ['to=2020-12-10T16:00:00'], // a time of day with no zone: the server's own zone would decide
      ['status=finalized'],
      ['callResult=3000000000'], // past the column's integer: the query itself would fail (a 500)
      ['accountId=a%00b'], // text Postgres cannot hold: the query would fail
      ['reconciliation=OK'],
      // times of day without a zone in forms other than YYYY-MM-DDThh:mm: read in the server's zone
      ['from=2024-01-01%2010:00:00'],
      ['to=2024/01/01%2010:00'],
      ['from=Dec%2010%202020%2016:00'],
      ['to=12/10/2020'],
      ['from=-5'], // JavaScript reads it as May 2001
      ['from=2024-02-30'], // JavaScript rolls it over to 1 March
      // years Postgres cannot read: the query itself would fail (a 500)
      ['from=8640000000000000'],
      ['to=%2B275760-09-13T00:00:00.000Z'],
      ['from=0000-01-01'],
      // cursors this service never gave out, though JavaScript reads their time
      [`cursor=${cursorOf('1', 'x')}`], // year 2001 to JavaScript, not a time to Postgres (a 500)
      [`cursor=${cursorOf('+275760-09-13T00:00:00.000Z', 'x')}`], // out of Postgres' range (a 500)
      [`cursor=${cursorOf('2020-12-10 16:00:00', 'x')}`], // no zone: Postgres' session zone would decide
      [`cursor=${cursorOf('2020-12-10T08:00:00.000Z', 'a\u0000b')}`], // text Postgres cannot hold (a 500)
      [`cursor=${cursorOf('2020-12-10T08:00:00.000Z', 'x', 'y')}`],
    ])('a bad parameter (%s) → 400 INVALID_QUERY naming it', async (query) => {
      const answer = await service().get(`/v1/calls?${query}`);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('INVALID_QUERY');
      expect(answer.body.violations.map((v: { field: string }) => v.field)).toEqual([query.split('=')[0]]);
    });

    test.each([
      // a repeated parameter arrives as an array: an accountId of "a,b" matched nothing, a from of "1,2" was 2001
      ['accountId=a&accountId=b'],
      ['status=OPEN&status=FINALIZED'],
      ['reconciliation=MATCHED&reconciliation=MATCHED'],
      ['callResult=1&callResult=2'],
      ['from=1&from=2'],
      ['to=2020-12-10&to=2020-12-11'],
      ['limit=1&limit=2'],
      [`cursor=${cursorOf('2020-12-10T08:00:00.000Z', 'x')}&cursor=${cursorOf('2020-12-10T08:00:00.000Z', 'x')}`],
    ])('a repeated parameter (%s) → 400 INVALID_QUERY naming it', async (query) => {
      const answer = await service().get(`/v1/calls?${query}`);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('INVALID_QUERY');
      expect(answer.body.violations).toEqual([{ field: query.split('=')[0], reason: expect.stringMatching(/once/) }]);
    });

    test("the contract's own template, every parameter given empty, is the unfiltered first page (an empty parameter is absent)", async () => {
      await push(service(), 'status', statusWire({ callId: uniqueCallId(), eventType: 1, eventTime: T0_SECONDS }));
      const answer = await service().get('/v1/calls?accountId=&status=&reconciliation=&callResult=&from=&to=&limit=&cursor=');
      expect(answer.status).toBe(200);
      expect(answer.body.items.length).toBeGreaterThan(0);
    });

    test.each([['acountId=x'], ['state=OPEN'], ['page=2'], ['offset=10']])(
      'a parameter the list does not have (%s) → 400 INVALID_QUERY naming it, not a 200 with every call',
      async (query) => {
        const answer = await service().get(`/v1/calls?${query}`);
        expect(answer.status).toBe(400);
        expect(answer.body.error).toBe('INVALID_QUERY');
        expect(answer.body.violations).toEqual([{ field: query.split('=')[0], reason: expect.stringMatching(/not a parameter/) }]);
      },
    );

    test('from/to finer than a millisecond: a call opened 0.1 ms before either is left out by from, kept by to', async () => {
      const accountId = uniqueAccountId();
      const call = statusWire({ callId: uniqueCallId(), accountId, eventType: 1, eventTime: T0_SECONDS });
      await push(service(), 'status', call);
      const openedAt: string = (await getCall(service(), call.callId as string)).openedAt;
      // 0.1 ms after the call opened: truncated to the millisecond, from would let it in and to leave it out
      const justAfter = openedAt.replace(/Z$/, '1Z');
      expect(ids(await list(`accountId=${encodeURIComponent(accountId)}&from=${justAfter}`))).toEqual([]);
      expect(ids(await list(`accountId=${encodeURIComponent(accountId)}&to=${justAfter}`))).toEqual([call.callId]);
    });

    test.each([
      ['from=2020-12-10T16:00:00%2B08:00'],
      ['from=2020-12-10T08:00:00Z'],
      ['to=2020-12-10'],
      ['from=1607587200000'],
      ['from=2020-12-10%2016:00:00%2B08:00'],
      ['from=2020-12-10%2008:00Z'],
      ['from=2020-12-10T08:00:00.123456Z'],
      ['from=0001-01-01T00:00:00Z'],
      ['to=9999-12-31T23:59:59.999Z'],
      ['from=0'],
      ['to=253402300799999'],
    ])(
      'a time with its zone, a date or epoch milliseconds (%s) is accepted',
      async (query) => {
        expect((await service().get(`/v1/calls?accountId=${uniqueAccountId()}&${query}`)).status).toBe(200);
      },
    );

    test('limit=500 is allowed', async () => {
      const answer = await service().get(`/v1/calls?accountId=${uniqueAccountId()}&limit=500`);
      expect(answer).toEqual({ status: 200, body: { items: [], nextCursor: null } });
    });
  });
});

describe('CDR_OVERDUE (contract §2, CDR_OVERDUE_AFTER=3s)', () => {
  // 3 s: long enough that a slow moment between a push and the GET after it does not flag the call early
  const service = useTestService({ CDR_OVERDUE_AFTER: '3s' });

  test('an open call with no CDR is flagged, and the flag is cleared when the CDR comes', async () => {
    const call = anAnsweredWireCall();
    await push(service(), 'status', call.statuses[0]!);
    expect((await getCall(service(), call.callId)).flags).toEqual([]);

    const flagged = await pollUntil(
      () => getCall(service(), call.callId),
      (view) => view.flags.includes('CDR_OVERDUE'),
      15_000,
    );
    expect(flagged.flags).toEqual(['CDR_OVERDUE']);
    expect(flagged.status).toBe('OPEN');
    expect(historyTypes(await getHistory(service(), call.callId))).toEqual(['StatusRecorded', 'CdrOverdueFlagged']);

    await push(service(), 'cdr', call.cdr);
    const view = await getCall(service(), call.callId);
    expect(view.flags).toEqual([]);
    expect(view.status).toBe('FINALIZED');
    // no ANSWERED / HUNG_UP status came
    expect(view.reconciliation.status).toBe('WARNINGS');
    expect(historyTypes(await getHistory(service(), call.callId))).toEqual([
      'StatusRecorded',
      'CdrOverdueFlagged',
      'CdrRecorded',
      'CallFinalised',
    ]);
  });

  test('a later status of the flagged call clears the flag, and the sweep flags the call again when no CDR follows', async () => {
    const call = anAnsweredWireCall();
    await push(service(), 'status', call.statuses[0]!);
    await pollUntil(
      () => getCall(service(), call.callId),
      (view) => view.flags.includes('CDR_OVERDUE'),
      15_000,
    );

    await push(service(), 'status', call.statuses[1]!);
    expect((await getCall(service(), call.callId)).flags).toEqual([]);
    const again = await pollUntil(
      () => getCall(service(), call.callId),
      (view) => view.flags.includes('CDR_OVERDUE'),
      15_000,
    );
    expect(again.flags).toEqual(['CDR_OVERDUE']);
    expect(historyTypes(await getHistory(service(), call.callId))).toEqual(['StatusRecorded', 'CdrOverdueFlagged', 'StatusRecorded', 'CdrOverdueFlagged']);
  }, 40_000);

  test('a finalised call is never flagged', async () => {
    const call = anAnsweredWireCall();
    await sendAll(service(), [...call.statuses.map((body) => ({ kind: 'status' as const, body })), { kind: 'cdr', body: call.cdr }]);
    // An open call pushed afterwards gets flagged: once it is, the sweep has passed over the finalised one.
    const witness = statusWire({ callId: uniqueCallId(), eventType: 1, eventTime: T0_SECONDS });
    await push(service(), 'status', witness);
    const w = await pollUntil(
      () => getCall(service(), witness.callId as string),
      (view) => view.flags.includes('CDR_OVERDUE'),
      15_000,
    );
    expect(w.flags).toEqual(['CDR_OVERDUE']);
    expect((await getCall(service(), call.callId)).flags).toEqual([]);
  });
});
