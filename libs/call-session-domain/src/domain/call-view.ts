// toCallView(state): the call view of contract §3, a pure function of the session state.
import {
  callResultTableFor,
  enumName,
  eventType as eventTypeTable,
} from '../../../contracts/src/enumerations.js';
import type { CdrPush, StatusPush } from './push.js';
import type { Finding, ReconciliationStatus } from './finding.js';
import type { CallState } from './call-state.js';
import {
  type CallSessionState,
  type CallSessionStatus,
  callStateOf,
  isFinalised,
  legsOf,
  primaryCdr,
  statusesInOrder,
} from './call-session.state.js';
import { reconciliationOf } from './reconciliation/reconcile.js';

export interface CallViewEvent {
  eventType: number;
  /** English name, null for an unknown eventType */
  name: string | null;
  party: number | null;
  /** ISO-8601 */
  eventTime: string;
  /** ISO-8601, service clock */
  receivedAt: string;
  late: boolean;
}

/** The authoritative CDR, normalised: ISO-8601 times, null for a time of 0. */
export interface CallViewCdr {
  cdrType: number;
  serviceType: number;
  subServiceType: number | null;
  accountId: string;
  caller: string | null;
  callee: string | null;
  beginCallTime: string | null;
  ringTime: string | null;
  startTime: string | null;
  endTime: string | null;
  callDuration: number;
  callResult: number | null;
  releaseType: number | null;
  cdrCreateTime: string | null;
  subscriptionId: string | null;
  phoneNoX: string | null;
  phoneNoA: string | null;
  phoneNoB: string | null;
  secretCallType: number | null;
  callDisplayType: number | null;
  audioRecordFlag: number | null;
  userData: string | null;
}

export interface CallViewOutcome {
  callResult: number | null;
  /** English name (SMS names for cdrType 2), null when unknown */
  name: string | null;
  durationSeconds: number;
}

export interface CallViewPrivacy {
  phoneNoX: string | null;
  phoneNoA: string | null;
  phoneNoB: string | null;
  secretCallType: number | null;
}

export interface CallView {
  callId: string;
  accountId: string;
  serviceType: number | null;
  subscriptionId: string | null;
  caller: string | null;
  callee: string | null;
  status: CallSessionStatus;
  callState: CallState;
  legs: { A: CallState; B: CallState };
  events: CallViewEvent[];
  cdr: CallViewCdr | null;
  outcome: CallViewOutcome | null;
  privacy: CallViewPrivacy | null;
  reconciliation: { status: ReconciliationStatus; findings: Finding[] };
  flags: string[];
  userData: string | null;
  version: number;
  /** ISO-8601 of the first push received ('' only for an empty stream) */
  openedAt: string;
  finalizedAt: string | null;
}

export const CALL_FLAGS = ['CDR_OVERDUE'] as const;
export type CallFlag = (typeof CALL_FLAGS)[number];

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null | undefined): string | null => (ms === null || ms === undefined || ms === 0 ? null : iso(ms));

/** Whether a push said something in a field: absent, null and empty text say nothing. */
const isSent = <T>(v: T | null | undefined): v is T => v !== null && v !== undefined && v !== '';

/** The first non-empty value of a field over the statuses, in their canonical order. */
function firstOf<K extends keyof StatusPush>(statuses: readonly StatusPush[], field: K): StatusPush[K] | null {
  for (const s of statuses) {
    const v = s[field];
    if (isSent(v)) return v;
  }
  return null;
}

function cdrView(c: CdrPush): CallViewCdr {
  return {
    cdrType: c.cdrType,
    serviceType: c.serviceType,
    subServiceType: c.subServiceType,
    accountId: c.accountId,
    caller: c.caller,
    callee: c.callee,
    beginCallTime: isoOrNull(c.beginCallTime),
    ringTime: isoOrNull(c.ringTime),
    startTime: isoOrNull(c.startTime),
    endTime: isoOrNull(c.endTime),
    callDuration: c.callDuration,
    callResult: c.callResult,
    releaseType: c.releaseType,
    cdrCreateTime: isoOrNull(c.cdrCreateTime),
    subscriptionId: c.subscriptionId,
    phoneNoX: c.phoneNoX,
    phoneNoA: c.phoneNoA,
    phoneNoB: c.phoneNoB,
    secretCallType: c.secretCallType,
    callDisplayType: c.callDisplayType ?? null,
    audioRecordFlag: c.audioRecordFlag ?? null,
    userData: c.userData,
  };
}

export function toCallView(state: CallSessionState): CallView {
  const facts = statusesInOrder(state);
  const statuses = facts.map((f) => f.push);
  const cdr = primaryCdr(state);

  const serviceType = cdr ? cdr.serviceType : firstOf(statuses, 'serviceType');
  // the CDR's when it has one (authoritative), else the statuses': a CDR that leaves an optional
  // field out must not blank what the statuses said
  const fromCdrOrStatuses = (field: 'caller' | 'callee' | 'subscriptionId' | 'userData'): string | null => {
    const sent = cdr?.[field];
    return isSent(sent) ? sent : firstOf(statuses, field);
  };

  const reconciliation =
    isFinalised(state) && state.reconciliation !== null ? state.reconciliation : reconciliationOf(state);

  return {
    callId: state.callId ?? '',
    accountId: cdr?.accountId ?? statuses[0]?.accountId ?? '',
    serviceType,
    subscriptionId: fromCdrOrStatuses('subscriptionId'),
    caller: fromCdrOrStatuses('caller'),
    callee: fromCdrOrStatuses('callee'),
    status: state.status,
    callState: callStateOf(state),
    legs: legsOf(state),
    events: facts.map((f) => ({
      eventType: f.push.eventType,
      name: enumName(eventTypeTable, f.push.eventType),
      party: f.push.party,
      eventTime: iso(f.push.eventTime),
      receivedAt: iso(f.receivedAt),
      late: f.late,
    })),
    cdr: cdr ? cdrView(cdr) : null,
    outcome: cdr
      ? {
          callResult: cdr.callResult,
          name: enumName(callResultTableFor(cdr.cdrType), cdr.callResult),
          durationSeconds: cdr.callDuration,
        }
      : null,
    privacy:
      serviceType === 200
        ? cdr
          ? { phoneNoX: cdr.phoneNoX, phoneNoA: cdr.phoneNoA, phoneNoB: cdr.phoneNoB, secretCallType: cdr.secretCallType }
          : {
              phoneNoX: firstOf(statuses, 'phoneNoX'),
              phoneNoA: firstOf(statuses, 'phoneNoA'),
              phoneNoB: firstOf(statuses, 'phoneNoB'),
              secretCallType: null,
            }
        : null,
    reconciliation: { status: reconciliation.status, findings: reconciliation.findings },
    flags: state.cdrOverdue ? ['CDR_OVERDUE'] : [],
    userData: fromCdrOrStatuses('userData'),
    version: state.version,
    openedAt: state.openedAt === null ? '' : iso(state.openedAt),
    finalizedAt: state.finalizedAt === null ? null : iso(state.finalizedAt),
  };
}
