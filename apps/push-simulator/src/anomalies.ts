/**
 * The sender misbehaviours the service must survive, each an independent chance per call, of the
 * calls it can apply to:
 *   duplicate   one push of the call is sent twice (a second, identical first try later on)
 *   reorder     the statuses go out of eventTime order (one before another of an earlier second)
 *   cdrFirst    the CDR goes out before the statuses
 *   lostStatus  one or more statuses are never sent, never all of them
 *   missingCdr  the CDR is never sent
 *   unitMixup   wrong time units: status eventTime in ms (13 digits) or CDR times in s (10 digits)
 * The knobs that need statuses (reorder, cdrFirst, lostStatus, missingCdr) skip SMS records;
 * lostStatus skips a call with fewer than 2 statuses, and reorder one whose statuses (those left
 * after lostStatus) fall in fewer than 2 seconds. So the share of all calls a knob touches is
 * lower than its rate.
 */
import type { CallFlow } from './call-flow.generator.js';
import type { Prng } from './prng.js';
import type { Push, WireBody } from './push.js';

export const ANOMALIES = ['duplicate', 'reorder', 'cdrFirst', 'lostStatus', 'missingCdr', 'unitMixup'] as const;
export type Anomaly = (typeof ANOMALIES)[number];
export type AnomalyRates = Readonly<Record<Anomaly, number>>;

export const NO_ANOMALIES: AnomalyRates = { duplicate: 0, reorder: 0, cdrFirst: 0, lostStatus: 0, missingCdr: 0, unitMixup: 0 };

export type UnitMixup = 'statusEventTimeMs' | 'cdrTimesSeconds';

export interface PlannedCall {
  flow: CallFlow;
  /** the pushes to send, in this order */
  pushes: Push[];
  anomalies: Anomaly[];
  unitMixup?: UnitMixup;
  lostStatuses: number;
}

const CDR_TIME_FIELDS = ['beginCallTime', 'ringTime', 'startTime', 'endTime', 'cdrCreateTime'] as const;

export function planCall(prng: Prng, flow: CallFlow, rates: AnomalyRates): PlannedCall {
  const anomalies: Anomaly[] = [];
  let statuses = [...flow.statuses];
  let cdr: Push | null = flow.cdr;
  let unitMixup: UnitMixup | undefined;
  let lostStatuses = 0;

  if (statuses.length > 0 && prng.chance(rates.missingCdr)) {
    cdr = null;
    anomalies.push('missingCdr');
  }

  // At least one status stays: a call that lost them all would be a CDR-only call (or, without its
  // CDR, no call at all), which tests the receiver's other paths, not a gap in a call's statuses.
  if (statuses.length >= 2 && prng.chance(rates.lostStatus)) {
    lostStatuses = prng.int(1, statuses.length - 1);
    const keep = prng.shuffle(statuses.map((_, i) => i)).slice(lostStatuses).sort((a, b) => a - b);
    statuses = keep.map((i) => statuses[i]!);
    anomalies.push('lostStatus');
  }

  // Out of order as a receiver can tell: some status goes before one of an earlier second. A
  // shuffle that only swapped the two legs' statuses of one second was counted a reorder, and no
  // receiver could see it (a probe: 1–3 calls in 400).
  const seconds = statuses.map((s) => Number(s.body['eventTime']));
  if (new Set(seconds).size >= 2 && prng.chance(rates.reorder)) {
    const order = statuses.map((_, i) => i);
    do prng.shuffle(order);
    while (order.every((v, i) => i === 0 || seconds[order[i - 1]!]! <= seconds[v]!));
    statuses = order.map((i) => statuses[i]!);
    anomalies.push('reorder');
  }

  let cdrFirst = false;
  if (cdr !== null && statuses.length > 0 && prng.chance(rates.cdrFirst)) {
    cdrFirst = true;
    anomalies.push('cdrFirst');
  }

  if (prng.chance(rates.unitMixup)) {
    const sides: UnitMixup[] = [];
    if (statuses.length > 0) sides.push('statusEventTimeMs');
    if (cdr !== null) sides.push('cdrTimesSeconds');
    unitMixup = prng.pick(sides);
    if (unitMixup === 'statusEventTimeMs') {
      statuses = statuses.map((s) => withBody(s, { ...s.body, eventTime: String(Number(s.body['eventTime']) * 1000 + prng.int(0, 999)) }));
    } else {
      const body: WireBody = { ...cdr!.body };
      for (const field of CDR_TIME_FIELDS) {
        const ms = body[field];
        if (typeof ms === 'number' && ms !== 0) body[field] = Math.floor(ms / 1000);
      }
      cdr = withBody(cdr!, body);
    }
    anomalies.push('unitMixup');
  }

  const pushes: Push[] = cdr === null ? statuses : cdrFirst ? [cdr, ...statuses] : [...statuses, cdr];

  if (pushes.length > 0 && prng.chance(rates.duplicate)) {
    const original = prng.int(0, pushes.length - 1);
    const at = prng.int(original + 1, pushes.length);
    pushes.splice(at, 0, { ...pushes[original]!, duplicate: true });
    anomalies.push('duplicate');
  }

  return { flow, pushes, anomalies, ...(unitMixup ? { unitMixup } : {}), lostStatuses };
}

const withBody = (push: Push, body: WireBody): Push => ({ ...push, body });
