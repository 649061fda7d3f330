// evolve(state, event) → state: the pure fold of the call session's events. Never mutates.
import type { CallSessionEvent } from './events.js';
import type { CallSessionState } from './call-session.state.js';

const maxOf = (a: number | null, b: number): number => (a === null ? b : Math.max(a, b));

export function evolve(state: CallSessionState, event: CallSessionEvent): CallSessionState {
  const next: CallSessionState = { ...state, version: state.version + 1 };
  switch (event.type) {
    case 'StatusRecorded': {
      const { key, push, receivedAt, late } = event.data;
      return {
        ...next,
        callId: state.callId ?? event.data.callId,
        // a key is recorded once (decide never emits a second one): the first stays
        statuses: state.statuses[key] ? state.statuses : { ...state.statuses, [key]: { key, push, receivedAt, late } },
        openedAt: state.openedAt ?? receivedAt,
        lastPushAt: maxOf(state.lastPushAt, receivedAt),
        // CDR_OVERDUE means "no CDR within the delay after the last push", and this is the last push
        // now: the sweep flags the call again if no CDR follows. Otherwise a push received just
        // before a sweep on another instance, committed just after its flag, left the flag on,
        // where the other order never set it. A forced finalisation keeps it: no CDR ever came.
        ...(state.status === 'OPEN' ? { cdrOverdue: false, cdrOverdueFlaggedAt: null } : {}),
      };
    }
    case 'CdrRecorded': {
      const { key, push, receivedAt } = event.data;
      const known = state.cdrs[key];
      return {
        ...next,
        callId: state.callId ?? event.data.callId,
        cdrs: {
          ...state.cdrs,
          [key]: { key, cdrType: push.cdrType, versions: [...(known?.versions ?? []), { push, receivedAt }] },
        },
        openedAt: state.openedAt ?? receivedAt,
        lastPushAt: maxOf(state.lastPushAt, receivedAt),
        cdrOverdue: false,
        cdrOverdueFlaggedAt: null,
      };
    }
    case 'CallFinalised':
      return {
        ...next,
        status: 'FINALIZED',
        finalizedAt: event.data.finalizedAt,
        reconciliation: event.data.reconciliation,
      };
    case 'CallReconciled':
      return { ...next, reconciliation: event.data.reconciliation };
    case 'CdrOverdueFlagged':
      return { ...next, cdrOverdue: true, cdrOverdueFlaggedAt: event.data.flaggedAt };
    case 'CallForceFinalised':
      return {
        ...next,
        status: 'FINALIZED_WITHOUT_CDR',
        finalizedAt: event.data.finalizedAt,
        forceFinaliseReason: event.data.reason,
        reconciliation: event.data.reconciliation,
      };
    default: {
      const never: never = event;
      throw new Error(`unknown event type ${(never as { type: string }).type}`);
    }
  }
}

/** Fold a stream from the initial state (or a given one). */
export function evolveAll(state: CallSessionState, events: readonly CallSessionEvent[]): CallSessionState {
  return events.reduce(evolve, state);
}
