// The reconciliation process manager: which follow-up commands the new events call for.
// The app runs them exactly like any other command (decide, append, then reactTo again).
import type { CallSessionCommand } from './commands.js';
import type { CallSessionEvent } from './events.js';
import type { CommandMetadata } from './push.js';
import type { CallSessionState } from './call-session.state.js';

/**
 * CdrRecorded, or a StatusRecorded that came after finalisation (late), → [ReconcileCall].
 * At most one ReconcileCall per batch of events.
 */
export function reactTo(
  stateAfter: CallSessionState,
  newEvents: readonly CallSessionEvent[],
  metadata: CommandMetadata,
): CallSessionCommand[] {
  const callId = stateAfter.callId;
  if (callId === null) return [];
  const needsReconcile = newEvents.some((e) => {
    switch (e.type) {
      case 'CdrRecorded':
        return true;
      case 'StatusRecorded':
        return e.data.late;
      case 'CallFinalised':
      case 'CallReconciled':
      case 'CdrOverdueFlagged':
      case 'CallForceFinalised':
        return false;
      default: {
        const never: never = e;
        return never;
      }
    }
  });
  return needsReconcile ? [{ type: 'ReconcileCall', callId, metadata: { ...metadata } }] : [];
}
