import { Injectable } from '@nestjs/common';
import { reactTo, type CallSessionCommand, type CallSessionEvent, type CallSessionState, type CommandMetadata } from '#call-session-domain';
import { FollowUpPolicy } from '../call-sessions/write/follow-up.policy.js';

/**
 * The reconciliation process: a recorded CDR (or a status that comes after finalisation) asks for
 * ReconcileCall, which the pure rules turn into CallFinalised / CallReconciled. It runs in the same
 * unit of work as the push, so a CDR is never stored without its reconciliation.
 */
@Injectable()
export class ReconciliationPolicy extends FollowUpPolicy {
  after(state: CallSessionState, events: CallSessionEvent[], metadata: CommandMetadata): CallSessionCommand[] {
    return reactTo(state, events, metadata);
  }
}
