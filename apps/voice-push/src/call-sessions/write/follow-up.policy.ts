import type { CallSessionCommand, CallSessionEvent, CallSessionState, CommandMetadata } from '#call-session-domain';

/**
 * What other modules want done after a call's events, in the same unit of work (the
 * reconciliation module answers a recorded CDR with ReconcileCall). An abstract class so that
 * it is the DI token.
 */
export abstract class FollowUpPolicy {
  abstract after(state: CallSessionState, events: CallSessionEvent[], metadata: CommandMetadata): CallSessionCommand[];
}
