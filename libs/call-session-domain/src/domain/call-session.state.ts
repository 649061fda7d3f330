// The state of one call session (one event stream per callId), folded from its events.
// Plain JSON (records, no Maps, no class instances) so it can be cached or snapshotted as is.
import type { CdrPush, StatusPush } from './push.js';
import type { Reconciliation } from './finding.js';
import { type CallState, callStateOfEventType, furthest } from './call-state.js';
import { compareStrings, pushContent } from './canonical.js';

export const CALL_SESSION_STATUSES = ['OPEN', 'FINALIZED', 'FINALIZED_WITHOUT_CDR'] as const;
export type CallSessionStatus = (typeof CALL_SESSION_STATUSES)[number];

/** A status push as recorded. */
export interface StatusFact {
  key: string;
  push: StatusPush;
  /** epoch ms, service clock */
  receivedAt: number;
  /** came after the call was finalised */
  late: boolean;
}

/** One distinct content received for a CDR key. */
export interface CdrVersion {
  push: CdrPush;
  receivedAt: number;
}

/** Every distinct content received for one CDR key `(callId, cdrType)`, in arrival order. */
export interface CdrFacts {
  key: string;
  cdrType: number;
  versions: CdrVersion[];
}

export interface CallSessionState {
  /** number of events folded so far; 0 = empty stream */
  version: number;
  callId: string | null;
  status: CallSessionStatus;
  /** by statusPushKey */
  statuses: Record<string, StatusFact>;
  /** by cdrPushKey */
  cdrs: Record<string, CdrFacts>;
  /** epoch ms of the first push received */
  openedAt: number | null;
  /** epoch ms of the latest push received (duplicates excluded: they produce no event) */
  lastPushAt: number | null;
  finalizedAt: number | null;
  forceFinaliseReason: string | null;
  /** last reconciliation recorded by CallFinalised / CallReconciled / CallForceFinalised */
  reconciliation: Reconciliation | null;
  cdrOverdue: boolean;
  cdrOverdueFlaggedAt: number | null;
}

export const initialState: CallSessionState = Object.freeze({
  version: 0,
  callId: null,
  status: 'OPEN',
  statuses: Object.freeze({}) as Record<string, StatusFact>,
  cdrs: Object.freeze({}) as Record<string, CdrFacts>,
  openedAt: null,
  lastPushAt: null,
  finalizedAt: null,
  forceFinaliseReason: null,
  reconciliation: null,
  cdrOverdue: false,
  cdrOverdueFlaggedAt: null,
}) as CallSessionState;

export const isEmpty = (s: CallSessionState): boolean => s.version === 0;

export const isFinalised = (s: CallSessionState): boolean => s.status !== 'OPEN';

/** epoch ms of the last push received, for the overdue sweep */
export const lastPushAt = (s: CallSessionState): number | null => s.lastPushAt;

/** Status facts in the canonical order: eventTime, eventType, party (none first), then content. */
export function statusesInOrder(s: CallSessionState): StatusFact[] {
  return Object.values(s.statuses).sort(compareStatusFacts);
}

export function compareStatusFacts(a: StatusFact, b: StatusFact): number {
  return (
    a.push.eventTime - b.push.eventTime ||
    a.push.eventType - b.push.eventType ||
    (a.push.party ?? 0) - (b.push.party ?? 0) ||
    compareStrings(pushContent(a.push), pushContent(b.push))
  );
}

/**
 * The authoritative version of a CDR key: the later cdrCreateTime (null counts as 0); on a tie the
 * greater canonical content, so the choice never depends on arrival order.
 */
export function authoritativeVersion(facts: CdrFacts): CdrVersion {
  let best = facts.versions[0]!;
  for (const v of facts.versions.slice(1)) {
    const d = (v.push.cdrCreateTime ?? 0) - (best.push.cdrCreateTime ?? 0);
    if (d > 0 || (d === 0 && compareStrings(pushContent(v.push), pushContent(best.push)) > 0)) best = v;
  }
  return best;
}

/** The authoritative CDR of each cdrType, ordered by cdrType. */
export function authoritativeCdrs(s: CallSessionState): CdrPush[] {
  return Object.values(s.cdrs)
    .filter((f) => f.versions.length > 0)
    .sort((a, b) => a.cdrType - b.cdrType)
    .map((f) => authoritativeVersion(f).push);
}

/** The CDR the call's outcome comes from: the call record (cdrType 1) if any, else the lowest cdrType. */
export function primaryCdr(s: CallSessionState): CdrPush | null {
  const all = authoritativeCdrs(s);
  return all.find((c) => c.cdrType === 1) ?? all[0] ?? null;
}

export const hasCdr = (s: CallSessionState): boolean => Object.values(s.cdrs).some((f) => f.versions.length > 0);

export const hasStatuses = (s: CallSessionState): boolean => Object.keys(s.statuses).length > 0;

/** The furthest state of the given statuses (unknown eventTypes change nothing). */
export function furthestOf(statuses: readonly StatusFact[]): CallState {
  let st: CallState = 'NONE';
  for (const f of statuses) {
    const next = callStateOfEventType(f.push.eventType);
    if (next) st = furthest(st, next);
  }
  return st;
}

/** callState: the furthest of all statuses; ENDED once the call is finalised. */
export function callStateOf(s: CallSessionState): CallState {
  return isFinalised(s) ? 'ENDED' : furthestOf(Object.values(s.statuses));
}

/** Per-leg state: party 1 → A, party 2 → B, each the furthest of its own statuses. */
export function legsOf(s: CallSessionState): { A: CallState; B: CallState } {
  const all = Object.values(s.statuses);
  return {
    A: furthestOf(all.filter((f) => f.push.party === 1)),
    B: furthestOf(all.filter((f) => f.push.party === 2)),
  };
}
