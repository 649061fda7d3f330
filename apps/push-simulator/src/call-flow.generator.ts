/**
 * Generates consistent calls: the status pushes the platform sends during a call and the CDR it
 * sends afterwards, agreeing with each other the way the contract's reconciliation expects
 * (times within a second of the statuses, `callDuration = (endTime − startTime)/1000`, …).
 * Anomalies are applied afterwards (anomalies.ts), never here.
 */
import {
  ANSWERED,
  DIRECTION_OF_RESULT,
  NEVER_RANG,
  PRIVACY_UNANSWERED_WEIGHTS,
  SMS_RESULT_WEIGHTS,
  STOPPED_AT_X,
  UNANSWERED_WEIGHTS,
} from './call-results.js';
import { mixEntries, type CallKind, type CallMix } from './call-mix.js';
import type { Prng } from './prng.js';
import type { Push, WireBody } from './push.js';

export interface CallFlow {
  seq: number;
  callId: string;
  kind: CallKind;
  callResult: number;
  /** in the order the platform emits them (by eventTime, leg A before leg B on ties) */
  statuses: Push[];
  cdr: Push;
}

export interface CallFlowContext {
  /** makes call ids unique across runs against the same service */
  runId: string;
  /**
   * epoch ms of the first call's begin; call n begins about n seconds later. A fixed pace, so
   * unrelated to when the call is really sent: pass `endsAtMs` to generateCallFlow for that.
   */
  baseTimeMs: number;
  /** how many distinct accounts the calls spread over */
  accounts?: number;
}

const STATUS = { INITIATED: 1, RINGING: 2, ANSWERED: 3, HUNG_UP: 4 } as const;
const SECOND = 1000;

export function drawCallKind(prng: Prng, mix: CallMix): CallKind {
  return prng.weighted(mixEntries(mix));
}

/** the receiver's limit on callId (contract §1) */
export const MAX_CALL_ID_LENGTH = 128;

export function callIdFor(runId: string, seq: number): string {
  return `SIM${runId}${seq.toString(16).padStart(8, '0')}`;
}

/** The longest run id whose callIds, up to call number `lastSeq`, stay within MAX_CALL_ID_LENGTH. */
export function maxRunIdLength(lastSeq: number): number {
  return MAX_CALL_ID_LENGTH - callIdFor('', lastSeq).length;
}

/**
 * One call of the run. Without `endsAtMs` its times follow from `ctx.baseTimeMs` and `seq`
 * (reproducible, but at any real rate other than one call a second they drift from the wall
 * clock). With `endsAtMs` (epoch ms) the call is one that has just ended: its last time, the CDR's
 * `cdrCreateTime`, is `endsAtMs` rounded down to the second and every other time is earlier.
 * Either way the same prng gives the same call, only placed differently in time.
 */
export function generateCallFlow(prng: Prng, seq: number, kind: CallKind, ctx: CallFlowContext, endsAtMs?: number): CallFlow {
  const callId = callIdFor(ctx.runId, seq);
  const account = `sim-${prng.int(1, ctx.accounts ?? 20)}`;
  // drawn in both modes, so that where a call is placed does not change what it is
  const beginMs = ctx.baseTimeMs + seq * SECOND + prng.int(0, 999);
  const at: Placement = { beginMs, place: (t) => (endsAtMs === undefined ? t : endingAt(t, endsAtMs)) };
  const common = { accountId: account, callId, subscriptionId: `sub-${account}`, userData: JSON.stringify({ sim: seq }) };
  switch (kind) {
    case 'answered':
      return voiceCall(prng, seq, common, at, ANSWERED);
    case 'unanswered':
      return voiceCall(prng, seq, common, at, prng.weighted(UNANSWERED_WEIGHTS));
    case 'privacy':
      return privacyCall(prng, seq, common, at);
    case 'sms':
      return smsRecord(prng, seq, common, at);
  }
}

type Common = { accountId: string; callId: string; subscriptionId: string; userData: string };

interface Timeline {
  beginMs: number;
  /** 0: never rang */
  ringMs: number;
  /** 0: never answered */
  startMs: number;
  endMs: number;
  /** the call's last time */
  cdrCreateMs: number;
}

/** where a call goes in time: a timeline is drawn from `beginMs`, then `place`d */
interface Placement {
  beginMs: number;
  place: (t: Timeline) => Timeline;
}

function timeline(prng: Prng, beginMs: number, callResult: number): Timeline {
  const ringMs = NEVER_RANG.has(callResult) ? 0 : beginMs + prng.int(1, 6) * SECOND;
  const startMs = callResult === ANSWERED ? ringMs + prng.int(2, 15) * SECOND : 0;
  const endMs =
    startMs !== 0 ? startMs + prng.int(5, 300) * SECOND // talked
    : ringMs !== 0 ? ringMs + prng.int(5, 40) * SECOND // rang out
    : beginMs + prng.int(1, 10) * SECOND; // failed before ringing
  return { beginMs, ringMs, startMs, endMs, cdrCreateMs: endMs + prng.int(500, 3000) };
}

/** The same timeline moved so that its last time falls on the whole second of `endsAtMs`. */
function endingAt(t: Timeline, endsAtMs: number): Timeline {
  const shift = Math.floor(endsAtMs / SECOND) * SECOND - t.cdrCreateMs;
  const moved = (ms: number) => (ms === 0 ? 0 : ms + shift);
  return { beginMs: t.beginMs + shift, ringMs: moved(t.ringMs), startMs: moved(t.startMs), endMs: t.endMs + shift, cdrCreateMs: t.cdrCreateMs + shift };
}

const seconds = (ms: number): string => String(Math.floor(ms / 1000));
const phone = (prng: Prng): string => `131${String(prng.int(0, 99_999_999)).padStart(8, '0')}`;

function statusPush(body: WireBody): Push {
  const party = body['party'];
  return {
    kind: 'status',
    callId: body['callId'] as string,
    body,
    label: `status:${String(body['eventType'])}${party === undefined ? '' : `:p${String(party)}`}`,
  };
}

const cdrPush = (body: WireBody): Push => ({ kind: 'cdr', callId: body['callId'] as string, body, label: 'cdr' });

/** The statuses a leg goes through for a timeline: INITIATED, RINGING if it rang, ANSWERED if answered, HUNG_UP. */
function legEvents(t: Timeline, initiatedMs = t.beginMs): Array<[number, number]> {
  const events: Array<[number, number]> = [[STATUS.INITIATED, initiatedMs]];
  if (t.ringMs !== 0) events.push([STATUS.RINGING, t.ringMs]);
  if (t.startMs !== 0) events.push([STATUS.ANSWERED, t.startMs]);
  events.push([STATUS.HUNG_UP, t.endMs]);
  return events;
}

function cdrTimes(prng: Prng, t: Timeline, callResult: number) {
  return {
    beginCallTime: t.beginMs,
    ringTime: t.ringMs,
    startTime: t.startMs,
    endTime: t.endMs,
    releaseType: releaseTypeOf(prng, callResult),
    callDuration: t.startMs === 0 ? 0 : (t.endMs - t.startMs) / 1000,
    callResult,
    cdrCreateTime: t.cdrCreateMs,
  };
}

/**
 * Who ended the call (enumerations.md, a guess: 1 caller, 2 callee, 3 platform). A result that
 * names who ended it keeps to it: 5 CALLER_ABANDONED the caller, 9 REJECTED the callee (a probe
 * found most of them drawn otherwise). The draw is made all the same, so the calls after keep theirs.
 */
function releaseTypeOf(prng: Prng, callResult: number): number {
  const drawn = callResult === ANSWERED ? prng.int(1, 2) : prng.pick([1, 2, 3]);
  return RELEASED_BY.get(callResult) ?? drawn;
}

const RELEASED_BY: ReadonlyMap<number, number> = new Map([
  [5, 1],
  [9, 2],
]);

/** serviceType 100 (SIP): one leg, no `party`. */
function voiceCall(prng: Prng, seq: number, common: Common, at: Placement, callResult: number): CallFlow {
  const t = at.place(timeline(prng, at.beginMs, callResult));
  const caller = phone(prng);
  const callee = phone(prng);
  const parties = { serviceType: 100, caller, callee };
  const statuses = legEvents(t).map(([eventType, atMs]) =>
    statusPush({ ...common, ...parties, eventTime: seconds(atMs), allEventType: [1, 2, 3, 4], eventType, messageType: 1 }),
  );
  const cdr = cdrPush({
    ...common,
    ...parties,
    subServiceType: 101,
    numberPoolNo: 'NP-SIM-0001',
    callerCountryIsoCode: 'CN',
    calleeCountryIsoCode: 'CN',
    ...cdrTimes(prng, t, callResult),
    audioRecordFlag: prng.int(0, 1),
    messageType: 2,
    cdrType: 1,
  });
  return { seq, callId: common.callId, kind: callResult === ANSWERED ? 'answered' : 'unanswered', callResult, statuses, cdr };
}

/** `direction`: the secretCallType the call's result implies, if it implies one */
function privacyNumbers(prng: Prng, direction?: 10 | 11) {
  const phoneNoA = phone(prng);
  const phoneNoB = phone(prng);
  const phoneNoX = phone(prng);
  const secretCallType = direction ?? prng.pick([10, 11]);
  // the dialling side calls X: A for "A calls B" (11), B for "B calls A" (10)
  const caller = secretCallType === 11 ? phoneNoA : phoneNoB;
  return { caller, callee: phoneNoX, phoneNoX, phoneNoA, phoneNoB, secretCallType };
}

/**
 * serviceType 200 AXB: two legs, party 1 (calling side) and 2 (called side, dialled a second
 * later) — or the calling side alone when the platform never dials the called side.
 */
function privacyCall(prng: Prng, seq: number, common: Common, at: Placement): CallFlow {
  const callResult = prng.chance(0.85) ? ANSWERED : prng.weighted(PRIVACY_UNANSWERED_WEIGHTS);
  const t = at.place(timeline(prng, at.beginMs, callResult));
  const numbers = privacyNumbers(prng, DIRECTION_OF_RESULT.get(callResult));
  const base = { ...common, serviceType: 200, caller: numbers.caller, callee: numbers.callee, phoneNoX: numbers.phoneNoX, phoneNoA: numbers.phoneNoA, phoneNoB: numbers.phoneNoB };
  const legA = legEvents(t).map(([eventType, atMs]) => ({ party: 1, eventType, atMs }));
  const legB = STOPPED_AT_X.has(callResult)
    ? []
    : legEvents(t, Math.min(t.beginMs + SECOND, t.ringMs || t.endMs)).map(([eventType, atMs]) => ({ party: 2, eventType, atMs }));
  const statuses = [...legA, ...legB]
    .sort((x, y) => x.atMs - y.atMs || x.party - y.party)
    .map(({ party, eventType, atMs }) =>
      statusPush({ ...base, eventTime: seconds(atMs), allEventType: [1, 2, 3, 4], eventType, messageType: 1, party }),
    );
  const cdr = cdrPush({
    ...base,
    subServiceType: 201,
    numberPoolNo: 'NP-SIM-AXB',
    ...cdrTimes(prng, t, callResult),
    audioRecordFlag: prng.int(0, 1),
    secretCallType: numbers.secretCallType,
    callDisplayType: prng.int(1, 4),
    messageType: 2,
    cdrType: 1,
  });
  return { seq, callId: common.callId, kind: 'privacy', callResult, statuses, cdr };
}

/** cdrType 2: an SMS through the privacy number; a record only, no statuses. */
function smsRecord(prng: Prng, seq: number, common: Common, at: Placement): CallFlow {
  const callResult = prng.weighted(SMS_RESULT_WEIGHTS);
  const t = at.place({ beginMs: at.beginMs, ringMs: 0, startMs: 0, endMs: at.beginMs, cdrCreateMs: at.beginMs + prng.int(200, 2000) });
  const numbers = privacyNumbers(prng);
  const cdr = cdrPush({
    ...common,
    serviceType: 200,
    subServiceType: 201,
    ...numbers,
    beginCallTime: t.beginMs,
    ringTime: 0,
    startTime: 0,
    endTime: t.endMs,
    callDuration: 0,
    callResult,
    cdrCreateTime: t.cdrCreateMs,
    messageType: 2,
    cdrType: 2,
  });
  return { seq, callId: common.callId, kind: 'sms', callResult, statuses: [], cdr };
}
