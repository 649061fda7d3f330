// What a reconciliation rule sees and returns. Rules are pure functions of the session's facts,
// so their result never depends on the order the pushes arrived in.
import type { CdrPush, PushNote } from '../push.js';
import type { Finding, FindingCode, FindingSeverity } from '../finding.js';
import {
  type CallSessionState,
  type CdrFacts,
  type StatusFact,
  authoritativeCdrs,
  primaryCdr,
  statusesInOrder,
} from '../call-session.state.js';
import { stableJson, compareStrings } from '../canonical.js';

export interface ReconciliationContext {
  /** every recorded status, canonical order (eventTime, eventType, party) */
  statuses: StatusFact[];
  /** the authoritative CDR of each cdrType, by cdrType */
  cdrs: CdrPush[];
  /** every distinct CDR content received, by key (cdrType order) */
  cdrFacts: CdrFacts[];
  /** the CDR the outcome comes from (call record first) */
  primaryCdr: CdrPush | null;
}

export interface ReconciliationRule {
  code: FindingCode;
  severity: FindingSeverity;
  check(ctx: ReconciliationContext): Finding[];
}

export function contextOf(state: CallSessionState): ReconciliationContext {
  return {
    statuses: statusesInOrder(state),
    cdrs: authoritativeCdrs(state),
    cdrFacts: Object.values(state.cdrs).sort((a, b) => a.cdrType - b.cdrType || compareStrings(a.key, b.key)),
    primaryCdr: primaryCdr(state),
  };
}

/** A call record: anything but an SMS record (cdrType 2); the call-only rules apply to these. */
export const isCallRecord = (cdr: CdrPush): boolean => cdr.cdrType !== 2;

export const callRecords = (ctx: ReconciliationContext): CdrPush[] => ctx.cdrs.filter(isCallRecord);

/**
 * The status events the sender announced (union of allEventType), [1,2,3,4] when no status sent
 * the field. A sent empty list announces no status at all, so it is not defaulted.
 */
export function expectedEventTypes(ctx: ReconciliationContext): number[] {
  const set = new Set<number>();
  let sent = false;
  for (const s of ctx.statuses) {
    if (s.push.allEventType === null || s.push.allEventType === undefined) continue;
    sent = true;
    for (const t of s.push.allEventType) set.add(t);
  }
  return sent ? [...set].sort((a, b) => a - b) : [1, 2, 3, 4];
}

export const observed = (ctx: ReconciliationContext, eventType: number): StatusFact[] =>
  ctx.statuses.filter((s) => s.push.eventType === eventType);

/** Every push note seen (statuses and every CDR content), deduplicated, in a stable order. */
export function allNotes(ctx: ReconciliationContext): PushNote[] {
  const byKey = new Map<string, PushNote>();
  const add = (n: PushNote) => byKey.set(stableJson(n), n);
  for (const s of ctx.statuses) s.push.notes.forEach(add);
  for (const f of ctx.cdrFacts) for (const v of f.versions) v.push.notes.forEach(add);
  return [...byKey.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([, n]) => n);
}

export const distinctSorted = <T extends string | number>(xs: readonly T[]): T[] =>
  [...new Set(xs)].sort((a, b) =>
    typeof a === 'number' && typeof b === 'number' ? a - b : compareStrings(String(a), String(b)),
  );

export const present = (v: string | null | undefined): v is string => v !== null && v !== undefined && v !== '';
