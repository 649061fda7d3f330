// Domain events of the call session (past tense, explicit string type names; data is plain JSON,
// times are epoch ms numbers).
import type { CdrPush, StatusPush } from './push.js';
import type { Reconciliation } from './finding.js';

export type StatusRecorded = {
  type: 'StatusRecorded';
  data: {
    callId: string;
    /** statusPushKey */
    key: string;
    push: StatusPush;
    receivedAt: number;
    /** recorded after the call was finalised */
    late: boolean;
  };
};

export type CdrRecorded = {
  type: 'CdrRecorded';
  data: {
    callId: string;
    /** cdrPushKey */
    key: string;
    push: CdrPush;
    receivedAt: number;
    /** 1 for the first content of this key, 2 for the first revision, … */
    revision: number;
    /** whether this content is the authoritative one of its key once recorded */
    authoritative: boolean;
  };
};

export type CallFinalised = {
  type: 'CallFinalised';
  data: {
    callId: string;
    finalizedAt: number;
    /** the cdrPushKey of the CDR the outcome comes from */
    cdrKey: string;
    reconciliation: Reconciliation;
  };
};

export type CallReconciled = {
  type: 'CallReconciled';
  data: {
    callId: string;
    reconciledAt: number;
    previous: Reconciliation | null;
    reconciliation: Reconciliation;
  };
};

export type CdrOverdueFlagged = {
  type: 'CdrOverdueFlagged';
  data: {
    callId: string;
    flaggedAt: number;
    lastPushAt: number;
    overdueAfterMs: number;
  };
};

export type CallForceFinalised = {
  type: 'CallForceFinalised';
  data: {
    callId: string;
    finalizedAt: number;
    reason: string;
    reconciliation: Reconciliation;
  };
};

export type CallSessionEvent =
  | StatusRecorded
  | CdrRecorded
  | CallFinalised
  | CallReconciled
  | CdrOverdueFlagged
  | CallForceFinalised;

export type CallSessionEventType = CallSessionEvent['type'];

export const CALL_SESSION_EVENT_TYPES: readonly CallSessionEventType[] = [
  'StatusRecorded',
  'CdrRecorded',
  'CallFinalised',
  'CallReconciled',
  'CdrOverdueFlagged',
  'CallForceFinalised',
];

export const isCallSessionEventType = (t: string): t is CallSessionEventType =>
  (CALL_SESSION_EVENT_TYPES as readonly string[]).includes(t);

/** The time an event happened (service clock), epoch ms, for the store's occurred_at. */
export function occurredAt(e: CallSessionEvent): number {
  switch (e.type) {
    case 'StatusRecorded':
    case 'CdrRecorded':
      return e.data.receivedAt;
    case 'CallFinalised':
    case 'CallForceFinalised':
      return e.data.finalizedAt;
    case 'CallReconciled':
      return e.data.reconciledAt;
    case 'CdrOverdueFlagged':
      return e.data.flaggedAt;
    default: {
      const never: never = e;
      throw new Error(`unknown event ${(never as { type: string }).type}`);
    }
  }
}

/**
 * A stored record (the event store's type and data) read back as a domain event. The store holds
 * only what this domain wrote, so the names and shapes are this file's; a type it does not know
 * makes `evolve` throw rather than fold it silently.
 */
export function toCallSessionEvent(record: { type: string; data: unknown }): CallSessionEvent {
  return { type: record.type, data: record.data } as CallSessionEvent;
}
