// Push builders (object mothers) and call-flow builders for tests.
import type { CdrPush, PushNote, StatusPush } from '../../call-session-domain/src/index.js';
import { T0 } from './fixed-clock.js';

let seq = 0;
/** A fresh callId for each test: tests own their calls. */
export function aCallId(prefix = 'NM-test'): string {
  seq += 1;
  return `${prefix}-${seq.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

export function aStatusPush(overrides: Partial<StatusPush> = {}): StatusPush {
  return {
    accountId: '10001',
    callId: 'NM-call-1',
    eventType: 1,
    eventTime: T0,
    party: null,
    serviceType: 100,
    caller: '13100001111',
    callee: '13100002222',
    allEventType: [1, 2, 3, 4],
    phoneNoX: null,
    phoneNoA: null,
    phoneNoB: null,
    subscriptionId: 'sub123456',
    userData: '{"sessionId":"abcd1234"}',
    notes: [],
    ...overrides,
  };
}

export function aCdrPush(overrides: Partial<CdrPush> = {}): CdrPush {
  return {
    accountId: '10001',
    callId: 'NM-call-1',
    serviceType: 100,
    cdrType: 1,
    subServiceType: 101,
    caller: '13100001111',
    callee: '13100002222',
    beginCallTime: T0,
    ringTime: T0 + 2000,
    startTime: T0 + 5000,
    endTime: T0 + 25000,
    callDuration: 20,
    callResult: 1,
    releaseType: 1,
    cdrCreateTime: T0 + 26000,
    subscriptionId: 'sub123456',
    phoneNoX: null,
    phoneNoA: null,
    phoneNoB: null,
    secretCallType: null,
    userData: '{"orderId":"123456"}',
    notes: [],
    ...overrides,
  };
}

export const aNote = (code: PushNote['code'], field: string, actual: unknown, expected?: unknown): PushNote =>
  expected === undefined ? { code, field, actual } : { code, field, actual, expected };

/** The pushes of one call: its statuses (in the order they happened) and its CDR(s). */
export interface CallFlow {
  callId: string;
  statuses: StatusPush[];
  cdrs: CdrPush[];
}

export interface FlowOptions {
  callId?: string;
  accountId?: string;
  /** epoch ms of the call's begin; rounded down to a whole second */
  at?: number;
  subscriptionId?: string | null;
  userData?: string | null;
}

const whole = (ms: number) => Math.floor(ms / 1000) * 1000;

/** An answered call, 1-2-3-4 statuses and a CDR with callResult 1 (serviceType 100). */
export function anAnsweredCall(opts: FlowOptions & { talkSeconds?: number; ringSeconds?: number } = {}): CallFlow {
  const callId = opts.callId ?? aCallId();
  const accountId = opts.accountId ?? '10001';
  const t = whole(opts.at ?? T0);
  const ring = t + 2000;
  const start = ring + (opts.ringSeconds ?? 3) * 1000;
  const end = start + (opts.talkSeconds ?? 20) * 1000;
  const common = {
    callId,
    accountId,
    subscriptionId: opts.subscriptionId ?? 'sub123456',
    userData: opts.userData ?? '{"sessionId":"abcd1234"}',
  };
  return {
    callId,
    statuses: [
      aStatusPush({ ...common, eventType: 1, eventTime: t }),
      aStatusPush({ ...common, eventType: 2, eventTime: ring }),
      aStatusPush({ ...common, eventType: 3, eventTime: start }),
      aStatusPush({ ...common, eventType: 4, eventTime: end }),
    ],
    cdrs: [
      aCdrPush({
        ...common,
        beginCallTime: t,
        ringTime: ring,
        startTime: start,
        endTime: end,
        callDuration: (end - start) / 1000,
        callResult: 1,
        cdrCreateTime: end + 1000,
      }),
    ],
  };
}

/**
 * An unanswered call: INITIATED, RINGING (when rang), HUNG_UP, and a CDR with startTime 0,
 * callDuration 0 and the given callResult (default 7 NO_ANSWER).
 */
export function anUnansweredCall(opts: FlowOptions & { callResult?: number; rang?: boolean } = {}): CallFlow {
  const callId = opts.callId ?? aCallId();
  const accountId = opts.accountId ?? '10001';
  const rang = opts.rang ?? true;
  const t = whole(opts.at ?? T0);
  const ring = rang ? t + 2000 : 0;
  const end = t + (rang ? 30000 : 3000);
  const common = {
    callId,
    accountId,
    subscriptionId: opts.subscriptionId ?? 'sub123456',
    userData: opts.userData ?? null,
  };
  return {
    callId,
    statuses: [
      aStatusPush({ ...common, eventType: 1, eventTime: t }),
      ...(rang ? [aStatusPush({ ...common, eventType: 2, eventTime: ring })] : []),
      aStatusPush({ ...common, eventType: 4, eventTime: end }),
    ],
    cdrs: [
      aCdrPush({
        ...common,
        beginCallTime: t,
        ringTime: ring,
        startTime: 0,
        endTime: end,
        callDuration: 0,
        callResult: opts.callResult ?? 7,
        releaseType: 1,
        cdrCreateTime: end + 1000,
      }),
    ],
  };
}

/**
 * A privacy-number AXB call (serviceType 200, subServiceType 201), answered, with both legs:
 * party 1 (A side) and party 2 (B side) statuses; the CDR carries phoneNoX/A/B.
 */
export function aPrivacyAxbCall(opts: FlowOptions & { talkSeconds?: number; answered?: boolean } = {}): CallFlow {
  const callId = opts.callId ?? aCallId();
  const accountId = opts.accountId ?? '20002';
  const answered = opts.answered ?? true;
  const t = whole(opts.at ?? T0);
  const bInit = t + 1000;
  const ring = t + 2000;
  const start = t + 6000;
  const end = answered ? start + (opts.talkSeconds ?? 60) * 1000 : t + 30000;
  const numbers = { phoneNoX: '13100003333', phoneNoA: '13100001111', phoneNoB: '13100002222' };
  const common = {
    callId,
    accountId,
    serviceType: 200,
    caller: '13100001111',
    callee: '13100003333',
    subscriptionId: opts.subscriptionId ?? 'sub-axb-0001',
    userData: opts.userData ?? '{"orderId":"778899"}',
    ...numbers,
  };
  const a = (eventType: number, eventTime: number) => aStatusPush({ ...common, party: 1, eventType, eventTime });
  const b = (eventType: number, eventTime: number) => aStatusPush({ ...common, party: 2, eventType, eventTime });
  return {
    callId,
    statuses: answered
      ? [a(1, t), b(1, bInit), b(2, ring), b(3, start), a(3, start), a(4, end), b(4, end)]
      : [a(1, t), b(1, bInit), b(2, ring), a(4, end), b(4, end)],
    cdrs: [
      aCdrPush({
        ...common,
        subServiceType: 201,
        beginCallTime: t,
        ringTime: ring,
        startTime: answered ? start : 0,
        endTime: end,
        callDuration: answered ? (end - start) / 1000 : 0,
        callResult: answered ? 1 : 22,
        releaseType: 2,
        cdrCreateTime: end + 1000,
        secretCallType: 11,
        callDisplayType: 1,
        audioRecordFlag: 0,
      }),
    ],
  };
}

/** An SMS record (cdrType 2) of a privacy number: no statuses, callResult 1001 SENT by default. */
export function anSmsRecord(opts: FlowOptions & { callResult?: number } = {}): CallFlow {
  const callId = opts.callId ?? aCallId();
  const t = whole(opts.at ?? T0);
  return {
    callId,
    statuses: [],
    cdrs: [
      aCdrPush({
        callId,
        accountId: opts.accountId ?? '20002',
        serviceType: 200,
        subServiceType: 201,
        cdrType: 2,
        caller: '13100002222',
        callee: '13100003333',
        beginCallTime: t,
        ringTime: 0,
        startTime: 0,
        endTime: t,
        callDuration: 0,
        callResult: opts.callResult ?? 1001,
        releaseType: null,
        cdrCreateTime: t + 1000,
        subscriptionId: opts.subscriptionId ?? 'sub-axb-0001',
        phoneNoX: '13100003333',
        phoneNoA: '13100001111',
        phoneNoB: '13100002222',
        secretCallType: 10,
        userData: opts.userData ?? null,
      }),
    ],
  };
}
