import { describe, expect, test } from '@jest/globals';
import { NEVER_RANG, STOPPED_AT_X, UNANSWERED_CALL_RESULTS } from './call-results.js';
import { generateCallFlow, type CallFlow } from './call-flow.generator.js';
import type { CallKind } from './call-mix.js';
import { Prng } from './prng.js';

const ctx = { runId: 'flow', baseTimeMs: 1_700_000_000_000 };
const flows = (kind: CallKind, n = 300, endsAtMs?: (seq: number) => number): CallFlow[] =>
  Array.from({ length: n }, (_, seq) => generateCallFlow(new Prng(`3:${kind}:${seq}`), seq, kind, ctx, endsAtMs?.(seq)));

const CDR_TIMES = ['beginCallTime', 'ringTime', 'startTime', 'endTime'] as const;
const EVENT_FOR_TIME = { beginCallTime: 1, ringTime: 2, startTime: 3, endTime: 4 } as const;
const num = (v: unknown) => v as number;

/** what the contract (§1 validation, §2 reconciliation) expects of a consistent call */
function expectValid(flow: CallFlow) {
  const cdr = flow.cdr.body;
  expect(flow.cdr.kind).toBe('cdr');
  for (const f of ['accountId', 'callId', 'serviceType', 'beginCallTime', 'endTime', 'callDuration']) expect(cdr[f]).toBeDefined();
  expect(cdr['callId']).toBe(flow.callId);
  expect((cdr['callId'] as string).length).toBeLessThanOrEqual(128);
  expect((cdr['userData'] as string).length).toBeLessThanOrEqual(2048);
  for (const f of [...CDR_TIMES, 'cdrCreateTime', 'callDuration']) expect(Number.isInteger(cdr[f]) && num(cdr[f]) >= 0).toBe(true);
  for (const f of [...CDR_TIMES, 'cdrCreateTime']) if (cdr[f] !== 0) expect(String(cdr[f])).toMatch(/^\d{13}$/);
  // TIME_ORDER_INVALID: begin ≤ ring ≤ start ≤ end, zeros skipped
  const times = CDR_TIMES.map((f) => num(cdr[f])).filter((t) => t !== 0);
  expect([...times].sort((a, b) => a - b)).toEqual(times);
  // DURATION_MISMATCH: (end − start)/1000 for an answered call, 0 otherwise
  expect(cdr['callDuration']).toBe(cdr['startTime'] === 0 ? 0 : (num(cdr['endTime']) - num(cdr['startTime'])) / 1000);
  for (const status of flow.statuses) {
    const s = status.body;
    expect(status.kind).toBe('status');
    for (const f of ['accountId', 'callId', 'eventType', 'eventTime']) expect(s[f]).toBeDefined();
    expect(s['eventTime']).toMatch(/^\d{10}$/);
    // IDENTITY_MISMATCH
    expect([s['accountId'], s['callId'], s['serviceType'], s['caller'], s['callee']]).toEqual([
      cdr['accountId'], cdr['callId'], cdr['serviceType'], cdr['caller'], cdr['callee'],
    ]);
    // TIME_MISMATCH: within 2 s of the CDR's time for the same event
    const field = CDR_TIMES.find((f) => EVENT_FOR_TIME[f] === s['eventType'])!;
    expect(Math.abs(Number(s['eventTime']) * 1000 - num(cdr[field]))).toBeLessThanOrEqual(2000);
  }
  // ANSWER_WITHOUT_CONNECT / ANSWER_NOT_OBSERVED / HANGUP_NOT_OBSERVED
  const events = new Set(flow.statuses.map((s) => s.body['eventType']));
  if (flow.statuses.length > 0) {
    expect(events.has(3)).toBe(cdr['callResult'] === 1);
    expect(events.has(4)).toBe(true);
    expect(events.has(2)).toBe(cdr['ringTime'] !== 0);
  }
}

describe('call flows', () => {
  test('answered: statuses 1-4 and a CDR that agrees, callDuration = (end − start)/1000', () => {
    for (const flow of flows('answered')) {
      expectValid(flow);
      expect(flow.statuses.map((s) => s.body['eventType'])).toEqual([1, 2, 3, 4]);
      expect(flow.cdr.body).toMatchObject({ serviceType: 100, cdrType: 1, callResult: 1 });
      expect(num(flow.cdr.body['callDuration'])).toBeGreaterThan(0);
      expect(flow.statuses.every((s) => s.body['party'] === undefined)).toBe(true);
    }
  });

  test('unanswered: a callResult of -1 or 2..37 but the privacy-only ones, no ANSWERED status, startTime 0, duration 0', () => {
    const seen = new Set<number>();
    for (const flow of flows('unanswered', 2000)) {
      expectValid(flow);
      expect(UNANSWERED_CALL_RESULTS).toContain(flow.callResult);
      expect(flow.cdr.body).toMatchObject({ serviceType: 100, cdrType: 1, startTime: 0, callDuration: 0, callResult: flow.callResult });
      seen.add(flow.callResult);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([...UNANSWERED_CALL_RESULTS].sort((a, b) => a - b));
    // of a binding, of X, of a direction through X: none on a SIP call
    for (const code of [13, 16, 23, 24, 25, 26]) expect(seen.has(code)).toBe(false);
  });

  test('a result that names who ended the call keeps to it in releaseType: 5 CALLER_ABANDONED the caller (1), 9 REJECTED the callee (2)', () => {
    const named = [...flows('unanswered', 2000), ...flows('privacy', 3000)].filter((f) => f.callResult === 5 || f.callResult === 9);
    expect(new Set(named.map((f) => f.callResult))).toEqual(new Set([5, 9]));
    for (const flow of named) expect(flow.cdr.body['releaseType']).toBe(flow.callResult === 5 ? 1 : 2);
  });

  test('a callee that never rang: no RINGING status, ringTime 0, over within 10 s; the others rang', () => {
    // the reviewer's list (enumerations.md: powered off, unreachable, busy, line/network busy, platform error, blacklisted)
    for (const code of [2, 6, 8, 10, 11, 14, 20, 29]) expect(NEVER_RANG.has(code)).toBe(true);
    // a caller gives up on, a callee rejects or ignores, a ringing phone
    for (const code of [1, 5, 7, 9, 22, 28]) expect(NEVER_RANG.has(code)).toBe(false);
    const seen = new Set<number>();
    for (const flow of flows('unanswered', 2000)) {
      const cdr = flow.cdr.body;
      const rang = flow.statuses.some((s) => s.body['eventType'] === 2);
      expect(rang).toBe(!NEVER_RANG.has(flow.callResult));
      if (rang) continue;
      seen.add(flow.callResult);
      expect(cdr['ringTime']).toBe(0);
      expect(num(cdr['endTime']) - num(cdr['beginCallTime'])).toBeLessThanOrEqual(10_000);
    }
    // every such result a SIP call can have (the privacy-only ones are privacy calls', tested below)
    expect([...seen].sort((a, b) => a - b)).toEqual([...NEVER_RANG].filter((code) => !STOPPED_AT_X.has(code)).sort((a, b) => a - b));
  });

  test('privacy AXB: serviceType 200, both legs (party 1 and 2) unless B is never dialled, phoneNoX/A/B on every push', () => {
    let answered = 0;
    for (const flow of flows('privacy')) {
      expectValid(flow);
      expect(flow.cdr.body).toMatchObject({ serviceType: 200, subServiceType: 201, cdrType: 1 });
      for (const push of [...flow.statuses, flow.cdr]) {
        for (const f of ['phoneNoX', 'phoneNoA', 'phoneNoB']) expect(push.body[f]).toMatch(/^\d{11}$/);
      }
      const parties = STOPPED_AT_X.has(flow.callResult) ? [1] : [1, 2];
      expect(new Set(flow.statuses.map((s) => s.body['party']))).toEqual(new Set(parties));
      for (const party of parties) {
        const leg = flow.statuses.filter((s) => s.body['party'] === party).map((s) => s.body['eventType']);
        expect(leg[0]).toBe(1);
        expect(leg.at(-1)).toBe(4);
      }
      expect([10, 11]).toContain(flow.cdr.body['secretCallType']);
      if (flow.callResult === 1) answered++;
    }
    expect(answered).toBeGreaterThan(200);
    expect(answered).toBeLessThan(300);
  });

  test('privacy AXB the platform stops at X (13 no binding, 16 X out of order, 23–26 barred): the calling side only, in the direction the result names', () => {
    const stopped = flows('privacy', 6000).filter((f) => STOPPED_AT_X.has(f.callResult));
    // every privacy-only result shows up on privacy calls, where SIP calls no longer draw them
    expect(new Set(stopped.map((f) => f.callResult))).toEqual(new Set([13, 16, 23, 24, 25, 26]));
    for (const flow of stopped) {
      expectValid(flow);
      expect(flow.statuses.map((s) => [s.body['party'], s.body['eventType']])).toEqual([[1, 1], [1, 4]]);
      expect(flow.cdr.body['ringTime']).toBe(0);
      // 23 and 24 are A→B (secretCallType 11), 25 and 26 B→A (10)
      if (flow.callResult >= 23) expect(flow.cdr.body['secretCallType']).toBe(flow.callResult <= 24 ? 11 : 10);
    }
  });

  test('SMS: cdrType 2, callResult 1001..1006, no statuses', () => {
    const results = new Set<number>();
    for (const flow of flows('sms', 1000)) {
      expectValid(flow);
      expect(flow.statuses).toEqual([]);
      expect(flow.cdr.body).toMatchObject({ serviceType: 200, cdrType: 2, startTime: 0, ringTime: 0, callDuration: 0 });
      expect(flow.cdr.body['phoneNoX']).toBeDefined();
      results.add(flow.callResult);
    }
    expect([...results].sort()).toEqual([1001, 1002, 1003, 1004, 1005, 1006]);
  });

  test('the same seed gives the same call; call ids are unique per run', () => {
    const a = generateCallFlow(new Prng('x'), 5, 'privacy', ctx);
    const b = generateCallFlow(new Prng('x'), 5, 'privacy', ctx);
    expect(a).toEqual(b);
    const ids = flows('answered', 500).map((f) => f.callId);
    expect(new Set(ids).size).toBe(500);
    expect(generateCallFlow(new Prng('x'), 5, 'answered', { ...ctx, runId: 'other' }).callId).not.toBe(a.callId);
  });

  test('without endsAtMs, call n begins n seconds after baseTimeMs, whatever the clock says', () => {
    for (const kind of ['answered', 'unanswered', 'privacy', 'sms'] as const) {
      flows(kind, 50).forEach((flow, seq) => {
        const begin = num(flow.cdr.body['beginCallTime']) - (ctx.baseTimeMs + seq * 1000);
        expect(begin).toBeGreaterThanOrEqual(0);
        expect(begin).toBeLessThan(1000);
      });
    }
  });

  test('with endsAtMs, the call has just ended: its last time is endsAtMs to the second, all others earlier, the call otherwise the same', () => {
    const now = Date.now();
    const endsAt = (seq: number) => now - seq * 37;
    for (const kind of ['answered', 'unanswered', 'privacy', 'sms'] as const) {
      const fixed = flows(kind, 200);
      flows(kind, 200, endsAt).forEach((flow, seq) => {
        expectValid(flow);
        const cdr = flow.cdr.body;
        const last = Math.floor(endsAt(seq) / 1000) * 1000;
        expect(cdr['cdrCreateTime']).toBe(last);
        for (const f of CDR_TIMES) expect(num(cdr[f])).toBeLessThan(last);
        for (const s of flow.statuses) expect(Number(s.body['eventTime']) * 1000).toBeLessThan(last);
        // the same call as without endsAtMs, moved in time as a whole
        const before = fixed[seq]!;
        const shift = num(cdr['cdrCreateTime']) - num(before.cdr.body['cdrCreateTime']);
        expect({ ...cdr, ...movedTimes(cdr, -shift) }).toEqual(before.cdr.body);
        expect(flow.statuses.map((s) => s.label)).toEqual(before.statuses.map((s) => s.label));
      });
    }
  });
});

const movedTimes = (body: Record<string, unknown>, shift: number) =>
  Object.fromEntries([...CDR_TIMES, 'cdrCreateTime'].map((f) => [f, body[f] === 0 ? 0 : num(body[f]) + shift]));
