import { afterEach, describe, expect, test } from '@jest/globals';
import { ANOMALIES, NO_ANOMALIES, planCall, type Anomaly, type AnomalyRates, type PlannedCall } from './anomalies.js';
import { DEFAULT_MIX } from './call-mix.js';
import { drawCallKind, generateCallFlow, type CallFlow } from './call-flow.generator.js';
import { Prng } from './prng.js';
import { runSimulation } from './simulation.js';
import { startTestReceiver, type TestReceiver } from './testing/test-receiver.js';

const ctx = { runId: 'anom', baseTimeMs: 1_700_000_000_000 };

function plan(anomalies: Partial<Record<Anomaly, number>>, calls = 400): PlannedCall[] {
  return Array.from({ length: calls }, (_, seq) => {
    const prng = new Prng(`11:${seq}`);
    return planCall(prng, generateCallFlow(prng, seq, drawCallKind(prng, DEFAULT_MIX), ctx), { ...NO_ANOMALIES, ...anomalies });
  });
}

const withStatuses = (calls: PlannedCall[]) => calls.filter((c) => c.flow.statuses.length > 0);
const cdrTimes = (body: Record<string, unknown>) =>
  ['beginCallTime', 'ringTime', 'startTime', 'endTime', 'cdrCreateTime'].map((f) => body[f]).filter((v) => v !== 0) as number[];

describe('anomaly knobs', () => {
  test('at 0 no call is touched: its statuses in order, then its CDR, bodies as generated', () => {
    for (const call of plan({})) {
      expect(call.anomalies).toEqual([]);
      expect(call.pushes).toEqual([...call.flow.statuses, call.flow.cdr]);
    }
  });

  test('all six at 0 give the same calls as no knobs at all, and the same seed gives the same plan', () => {
    const zero = Object.fromEntries(ANOMALIES.map((a) => [a, 0]));
    expect(plan(zero, 50)).toEqual(plan({}, 50));
    const mixed = { duplicate: 0.3, reorder: 0.3, cdrFirst: 0.3, lostStatus: 0.3, missingCdr: 0.3, unitMixup: 0.3 };
    expect(plan(mixed, 50)).toEqual(plan(mixed, 50));
  });

  test('duplicate at 1: every call sends one of its pushes twice, the copy later', () => {
    for (const call of plan({ duplicate: 1 })) {
      expect(call.anomalies).toEqual(['duplicate']);
      expect(call.pushes).toHaveLength(call.flow.statuses.length + 1 + 1);
      const copy = call.pushes.findIndex((p) => p.duplicate);
      const original = call.pushes.findIndex((p) => !p.duplicate && p.body === call.pushes[copy]!.body);
      expect(original).toBeGreaterThanOrEqual(0);
      expect(original).toBeLessThan(copy);
    }
  });

  test('reorder at 1: every call with 2+ statuses sends one before a status of an earlier second (a receiver can tell)', () => {
    const calls = withStatuses(plan({ reorder: 1 }));
    expect(calls.length).toBeGreaterThan(300);
    for (const call of calls) {
      expect(call.anomalies).toEqual(['reorder']);
      const sent = call.pushes.filter((p) => p.kind === 'status');
      expect(new Set(sent)).toEqual(new Set(call.flow.statuses));
      const seconds = sent.map((p) => Number(p.body['eventTime']));
      expect(seconds.some((t, i) => i > 0 && seconds[i - 1]! > t)).toBe(true);
      expect(call.pushes.at(-1)!.kind).toBe('cdr');
    }
  });

  test('reorder at 1 on privacy calls, whose two legs share seconds: never only a swap within one second', () => {
    for (let seq = 0; seq < 1_000; seq++) {
      const prng = new Prng(`reorder:${seq}`);
      const call = planCall(prng, generateCallFlow(prng, seq, 'privacy', ctx), { ...NO_ANOMALIES, reorder: 1 });
      const seconds = call.pushes.filter((p) => p.kind === 'status').map((p) => Number(p.body['eventTime']));
      expect(seconds.some((t, i) => i > 0 && seconds[i - 1]! > t)).toBe(true);
    }
  });

  test('cdrFirst at 1: every call with statuses sends its CDR first', () => {
    for (const call of withStatuses(plan({ cdrFirst: 1 }))) {
      expect(call.pushes[0]!.kind).toBe('cdr');
      expect(call.pushes.slice(1)).toEqual(call.flow.statuses);
    }
  });

  test('lostStatus at 1: every call with statuses loses at least one, keeps the CDR', () => {
    for (const call of withStatuses(plan({ lostStatus: 1 }))) {
      const sent = call.pushes.filter((p) => p.kind === 'status');
      expect(sent.length).toBeLessThan(call.flow.statuses.length);
      expect(call.lostStatuses).toBe(call.flow.statuses.length - sent.length);
      expect(call.pushes.at(-1)).toBe(call.flow.cdr);
    }
  });

  test('lostStatus at 1: a call never loses all its statuses, even one with only two', () => {
    const calls = withStatuses(plan({ lostStatus: 1 }, 2000));
    expect(calls.filter((c) => c.flow.statuses.length === 2).length).toBeGreaterThan(50);
    for (const call of calls) expect(call.pushes.filter((p) => p.kind === 'status').length).toBeGreaterThanOrEqual(1);
  });

  test('missingCdr at 1: no call with statuses sends its CDR; a call never ends up empty', () => {
    for (const call of withStatuses(plan({ missingCdr: 1, lostStatus: 1 }))) {
      expect(call.pushes.some((p) => p.kind === 'cdr')).toBe(false);
      expect(call.pushes.length).toBeGreaterThan(0);
    }
  });

  test('unitMixup at 1: every call has 13-digit eventTimes or 10-digit CDR times', () => {
    const calls = plan({ unitMixup: 1 });
    const sides = new Set(calls.map((c) => c.unitMixup));
    expect(sides).toEqual(new Set(['statusEventTimeMs', 'cdrTimesSeconds']));
    for (const call of calls) {
      if (call.unitMixup === 'statusEventTimeMs') {
        for (const s of call.pushes.filter((p) => p.kind === 'status')) expect(s.body['eventTime']).toMatch(/^\d{13}$/);
        expect(cdrTimes(call.pushes.find((p) => p.kind === 'cdr')!.body).every((t) => String(t).length === 13)).toBe(true);
      } else {
        const cdr = call.pushes.find((p) => p.kind === 'cdr')!.body;
        for (const t of cdrTimes(cdr)) expect(String(t)).toMatch(/^\d{10}$/);
        for (const s of call.pushes.filter((p) => p.kind === 'status')) expect(s.body['eventTime']).toMatch(/^\d{10}$/);
      }
    }
    for (const call of plan({})) for (const s of call.pushes.filter((p) => p.kind === 'status')) expect(s.body['eventTime']).toMatch(/^\d{10}$/);
  });

  test('a rate of 0.1 touches about a tenth of the calls', () => {
    const hits = plan({ duplicate: 0.1 }, 2000).filter((c) => c.anomalies.includes('duplicate')).length;
    expect(hits).toBeGreaterThan(150);
    expect(hits).toBeLessThan(250);
  });
});

describe('anomalies on the wire', () => {
  let receiver: TestReceiver | undefined;
  afterEach(async () => receiver?.close());

  test('duplicate at 1: the receiver gets one push of every call twice, answered duplicate:true', async () => {
    receiver = await startTestReceiver();
    const summary = await runSimulation({ url: receiver.url, calls: 50, concurrency: 8, anomalies: { duplicate: 1 } });
    expect(summary.anomalies.duplicate).toBe(50);
    expect(receiver.requests.filter((r) => r.attempt === 2)).toHaveLength(50);
    expect(summary.duplicatesAcknowledged).toBe(50);
    expect(summary.acknowledged).toBe(summary.sent);
  });

  test('duplicate at 0: every push arrives once', async () => {
    receiver = await startTestReceiver();
    const summary = await runSimulation({ url: receiver.url, calls: 50, concurrency: 8 });
    expect(receiver.requests.every((r) => r.attempt === 1)).toBe(true);
    expect(summary.duplicatesAcknowledged).toBe(0);
    expect(receiver.requests).toHaveLength(summary.sent);
  });

  test('cdrFirst at 1: the receiver sees each call begin with its CDR (per-call order kept on the wire)', async () => {
    receiver = await startTestReceiver();
    await runSimulation({ url: receiver.url, calls: 60, concurrency: 8, anomalies: { cdrFirst: 1 } });
    const first = new Map<string, string>();
    for (const r of receiver.requests) if (!first.has(r.body['callId'] as string)) first.set(r.body['callId'] as string, r.path);
    expect(new Set(first.values())).toEqual(new Set(['/v1/push/cdr']));
  });
});

/** One call as the receiver saw it: its first tries in arrival order (a call's pushes go out one after the other). */
interface WireCall {
  flow: CallFlow;
  statuses: Array<Record<string, unknown>>;
  cdrs: Array<Record<string, unknown>>;
}

/** Plays `calls` calls with these knobs against a receiver of its own: every call, with what the receiver got of it. */
async function onTheWire(anomalies: Partial<AnomalyRates>, calls = 60): Promise<WireCall[]> {
  const wire = await startTestReceiver();
  try {
    const flows: CallFlow[] = [];
    await runSimulation({ url: wire.url, calls, concurrency: 8, anomalies, onCall: (call) => flows.push(call.flow) });
    const firstTries = wire.requests.filter((r) => r.attempt === 1);
    return flows.map((flow) => {
      const mine = firstTries.filter((r) => r.body['callId'] === flow.callId);
      const bodiesAt = (path: string) => mine.filter((r) => r.path === path).map((r) => r.body);
      return { flow, statuses: bodiesAt('/v1/push/status'), cdrs: bodiesAt('/v1/push/cdr') };
    });
  } finally {
    await wire.close();
  }
}

/** every knob at 1 but these: shows that no other knob makes their anomaly */
const allBut = (...off: Anomaly[]): AnomalyRates =>
  Object.fromEntries(ANOMALIES.map((a) => [a, off.includes(a) ? 0 : 1])) as Record<Anomaly, number>;

const eventSeconds = (status: Record<string, unknown>) => {
  const t = Number(status['eventTime']);
  return String(status['eventTime']).length === 13 ? Math.floor(t / 1000) : t;
};
/** the platform's order: by eventTime, leg A before leg B, and within a leg by eventType */
const platformKey = (s: Record<string, unknown>) => [eventSeconds(s), Number(s['party'] ?? 0), Number(s['eventType'])];
const before = (a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
const arrivedOutOfOrder = (call: WireCall) =>
  call.statuses.some((s, i) => i > 0 && before(platformKey(call.statuses[i - 1]!), platformKey(s)) > 0);

const wrongUnits = (call: WireCall) =>
  call.statuses.some((s) => /^\d{13}$/.test(String(s['eventTime']))) ||
  call.cdrs.some((cdr) => cdrTimes(cdr).some((t) => String(t).length === 10));

const hadStatuses = (calls: WireCall[]) => calls.filter((c) => c.flow.statuses.length > 0);

/**
 * A run of onTheWire's default 60 calls, each of which the receiver got at least one push of (no
 * knob drops all of a call: lostStatus keeps one status, missingCdr spares an SMS record's CDR):
 * a check over each call then holds of calls that arrived, not of nothing received.
 */
function allArrived(calls: WireCall[]): WireCall[] {
  expect(calls).toHaveLength(60);
  for (const call of calls) expect(call.statuses.length + call.cdrs.length).toBeGreaterThanOrEqual(1);
  return calls;
}

describe('each anomaly knob on the wire: what the receiver got', () => {
  test('reorder at 1: every call with 2+ statuses arrives out of eventTime order; at 0 (every other knob at 1) none does', async () => {
    const reordered = hadStatuses(await onTheWire({ reorder: 1 }));
    expect(reordered.length).toBeGreaterThan(40);
    for (const call of reordered) expect(arrivedOutOfOrder(call)).toBe(true);

    const kept = await onTheWire(allBut('reorder'));
    expect(kept.some((c) => c.statuses.length >= 2)).toBe(true);
    for (const call of kept) expect(arrivedOutOfOrder(call)).toBe(false);
  });

  test('lostStatus at 1: every call with statuses arrives with fewer than its flow had, never none; at 0 (every other knob at 1) all arrive', async () => {
    const lossy = hadStatuses(await onTheWire({ lostStatus: 1 }));
    expect(lossy.length).toBeGreaterThan(40);
    for (const call of lossy) {
      expect(call.statuses.length).toBeLessThan(call.flow.statuses.length);
      expect(call.statuses.length).toBeGreaterThanOrEqual(1);
      expect(call.cdrs).toHaveLength(1);
    }

    for (const call of allArrived(await onTheWire(allBut('lostStatus')))) expect(call.statuses).toHaveLength(call.flow.statuses.length);
  });

  test('missingCdr at 1 (alone): every call with statuses gets them all and no CDR, an SMS record still its CDR; at 0 (every other knob at 1) every call gets its CDR', async () => {
    const calls = await onTheWire({ missingCdr: 1 }, 120);
    const sms = calls.filter((c) => c.flow.statuses.length === 0);
    expect(sms.length).toBeGreaterThan(0);
    for (const call of sms) expect(call.cdrs).toHaveLength(1);
    for (const call of hadStatuses(calls)) {
      expect(call.statuses).toHaveLength(call.flow.statuses.length);
      expect(call.cdrs).toEqual([]);
    }

    for (const call of allArrived(await onTheWire(allBut('missingCdr')))) expect(call.cdrs).toHaveLength(1);
  });

  test('unitMixup at 1: every call carries a 13-digit eventTime or a 10-digit CDR time, both kinds seen; at 0 (every other knob at 1) none does', async () => {
    const mixed = await onTheWire({ unitMixup: 1 });
    for (const call of mixed) expect(wrongUnits(call)).toBe(true);
    expect(mixed.some((c) => c.statuses.some((s) => String(s['eventTime']).length === 13))).toBe(true);
    expect(mixed.some((c) => c.cdrs.some((cdr) => cdrTimes(cdr).some((t) => String(t).length === 10)))).toBe(true);

    for (const call of allArrived(await onTheWire(allBut('unitMixup')))) expect(wrongUnits(call)).toBe(false);
  });
});
