// fast-check arbitraries of call flows and of their arrival (permutation + duplicates).
import fc from 'fast-check';
import type { CallSessionCommand, CdrPush, PushNote, StatusPush } from '../../call-session-domain/src/index.js';
import { T0 } from './fixed-clock.js';
import { aCdrPush, anAnsweredCall, anSmsRecord, anUnansweredCall, aPrivacyAxbCall, type CallFlow } from './push.mother.js';
import { recordCdr, recordStatus } from './commands.mother.js';

const UNANSWERED_RESULTS = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 19, 20, 21, 22, 28, 36, -1, 99];
const SMS_RESULTS = [1001, 1002, 1003, 1004, 1005, 1006];

const someNotes: PushNote[] = [
  { code: 'TIME_UNIT_CORRECTED', field: 'eventTime', actual: 1622703600000, expected: 1622703600 },
  { code: 'UNKNOWN_ENUM_VALUE', field: 'releaseType', actual: 9 },
];

/** One of the call-flow kinds, with or without statuses, with or without CDR, possibly revised. */
export const callFlowArbitrary = (callId: string): fc.Arbitrary<CallFlow> =>
  fc
    .record({
      kind: fc.constantFrom('answered', 'unanswered', 'axb', 'axb-unanswered', 'sms'),
      at: fc.integer({ min: 0, max: 1000 }).map((s) => T0 + s * 1000),
      talkSeconds: fc.integer({ min: 0, max: 600 }),
      callResult: fc.constantFrom(...UNANSWERED_RESULTS),
      smsResult: fc.constantFrom(...SMS_RESULTS),
      rang: fc.boolean(),
      statuses: fc.constantFrom('all', 'some', 'none'),
      keep: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      withCdr: fc.boolean(),
      revision: fc.constantFrom('none', 'later', 'same-create-time'),
      unknownEventType: fc.boolean(),
      notes: fc.boolean(),
      withSmsToo: fc.boolean(),
      variations: variationsArbitrary,
    })
    .map((o) => {
      const base: CallFlow =
        o.kind === 'answered'
          ? anAnsweredCall({ callId, at: o.at, talkSeconds: o.talkSeconds })
          : o.kind === 'unanswered'
            ? anUnansweredCall({ callId, at: o.at, callResult: o.callResult, rang: o.rang })
            : o.kind === 'axb'
              ? aPrivacyAxbCall({ callId, at: o.at, talkSeconds: o.talkSeconds })
              : o.kind === 'axb-unanswered'
                ? aPrivacyAxbCall({ callId, at: o.at, answered: false })
                : anSmsRecord({ callId, at: o.at, callResult: o.smsResult });
      let statuses: StatusPush[] =
        o.statuses === 'all' ? base.statuses : o.statuses === 'none' ? [] : base.statuses.filter((_, i) => o.keep[i]);
      if (o.unknownEventType && statuses.length > 0)
        statuses = [...statuses, { ...statuses[0]!, eventType: 7, eventTime: statuses[0]!.eventTime + 1000 }];
      if (o.notes && statuses.length > 0) statuses = [{ ...statuses[0]!, notes: someNotes }, ...statuses.slice(1)];
      statuses = statuses.map((s, i) => varyStatus(s, o.variations.identity[i] ?? 0));
      let cdrs: CdrPush[] = (o.withCdr || o.kind === 'sms' ? base.cdrs : []).map((c, i) => (i === 0 ? varyCdr(c, o.variations) : c));
      const first = cdrs[0];
      if (first && o.revision !== 'none') {
        const revised = aCdrPush({
          ...first,
          callDuration: first.callDuration + 5,
          cdrCreateTime:
            o.revision === 'later' ? (first.cdrCreateTime ?? 0) + 60_000 : first.cdrCreateTime,
        });
        cdrs = [first, revised];
      }
      if (o.withSmsToo && o.kind === 'axb' && cdrs.length > 0) cdrs = [...cdrs, ...anSmsRecord({ callId, at: o.at }).cdrs];
      return { callId, statuses, cdrs };
    })
    .filter((f) => f.statuses.length + f.cdrs.length > 0);

/**
 * What real senders get wrong, so the rules that judge it run under the properties too: statuses
 * of one call that disagree on identity (account, numbers, user data), CDR times off or out of
 * order, a callResult at odds with the statuses, privacy fields missing or where they mean
 * nothing, notes on a CDR, no cdrCreateTime. `0`/`null`: as the flow made it (most draws).
 */
const variationsArbitrary = fc.record({
  identity: fc.array(fc.constantFrom(0, 0, 0, 1, 2, 3), { minLength: 9, maxLength: 9 }),
  cdrShiftSeconds: fc.option(fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 4, maxLength: 4 }), { freq: 3 }),
  callResult: fc.option(fc.constantFrom<number | null>(1, 2, 22, -1, null), { freq: 3 }),
  privacy: fc.constantFrom('as-made', 'as-made', 'as-made', 'no-phoneNoX', 'on-a-plain-call'),
  cdrNotes: fc.boolean(),
  noCreateTime: fc.boolean(),
});
type Variations = (typeof variationsArbitrary) extends fc.Arbitrary<infer V> ? V : never;

function varyStatus(s: StatusPush, identity: number): StatusPush {
  if (identity === 1) return { ...s, accountId: `${s.accountId}-other` };
  if (identity === 2) return { ...s, caller: '13200000001', callee: '13200000002' };
  if (identity === 3) return { ...s, userData: '{"other":true}', subscriptionId: 'sub-other' };
  return s;
}

const CDR_TIMES = ['beginCallTime', 'ringTime', 'startTime', 'endTime'] as const;

function varyCdr(c: CdrPush, v: Variations): CdrPush {
  let cdr = { ...c };
  if (v.cdrShiftSeconds) {
    for (const [i, field] of CDR_TIMES.entries()) if (cdr[field] !== 0) cdr[field] = cdr[field] + v.cdrShiftSeconds[i]! * 1000;
  }
  // SMS records keep their own result codes
  if (v.callResult !== null && (c.callResult === null || c.callResult < 1000)) cdr.callResult = v.callResult;
  if (v.privacy === 'no-phoneNoX' && cdr.serviceType === 200) cdr.phoneNoX = null;
  if (v.privacy === 'on-a-plain-call' && cdr.serviceType === 100) cdr = { ...cdr, phoneNoX: '13100003333', secretCallType: 11 };
  if (v.cdrNotes) cdr.notes = someNotes;
  if (v.noCreateTime) cdr.cdrCreateTime = null;
  return cdr;
}

/** A push of the flow: which list and index. */
type PushRef = { kind: 'status' | 'cdr'; index: number; reorderNotes: boolean };

export interface Arrival {
  flow: CallFlow;
  /** natural order: statuses then CDRs, each once */
  inOrder: CallSessionCommand[];
  /** the same pushes permuted, with retries (duplicates, notes possibly reordered) */
  shuffled: CallSessionCommand[];
}

function commandsOf(flow: CallFlow, refs: readonly PushRef[], startAt: number): CallSessionCommand[] {
  return refs.map((r, i) => {
    const at = startAt + i * 61_000;
    if (r.kind === 'status') {
      const p = flow.statuses[r.index]!;
      return recordStatus(r.reorderNotes ? { ...p, notes: [...p.notes].reverse() } : p, at);
    }
    const p = flow.cdrs[r.index]!;
    return recordCdr(r.reorderNotes ? { ...p, notes: [...p.notes].reverse() } : p, at);
  });
}

/** A flow, its in-order arrival, and a random permutation of its pushes with random duplicates. */
export const arrivalArbitrary = (callId = 'NM-prop'): fc.Arbitrary<Arrival> =>
  callFlowArbitrary(callId).chain((flow) => {
    const refs: PushRef[] = [
      ...flow.statuses.map((_, index) => ({ kind: 'status' as const, index, reorderNotes: false })),
      ...flow.cdrs.map((_, index) => ({ kind: 'cdr' as const, index, reorderNotes: false })),
    ];
    // a true permutation (fc.shuffledSubarray of all of them): sort keys would tie and keep the
    // arrival order for a fifth of the draws
    return fc.array(fc.record({ i: fc.nat({ max: refs.length - 1 }), reorderNotes: fc.boolean() }), { maxLength: 6 }).chain((dups) => {
      const all = [...refs, ...dups.map((d) => ({ ...refs[d.i]!, reorderNotes: d.reorderNotes }))];
      return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }).map((shuffledRefs) => ({
        flow,
        inOrder: commandsOf(flow, refs, T0 + 3_600_000),
        shuffled: commandsOf(flow, shuffledRefs, T0 + 3_600_000),
      }));
    });
  });
