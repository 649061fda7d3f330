// decide(state, command) → events: the pure command side of the call session.
import type { CallSessionCommand, FlagCdrOverdue, ForceFinalise, ReconcileCall, RecordCdr, RecordStatus } from './commands.js';
import type { CallSessionEvent } from './events.js';
import { cdrPushKey, statusPushKey } from './push.js';
import { sameContentAsStored, stableJson } from './canonical.js';
import { type CallSessionState, authoritativeVersion, hasCdr, isEmpty, isFinalised, primaryCdr } from './call-session.state.js';
import { reconciliationOf } from './reconciliation/reconcile.js';
import { evolve } from './evolve.js';
import { fullCallReason } from './push-limit.js';

export type DecideOutcome = 'applied' | 'duplicate' | 'conflicting-duplicate' | 'noop' | 'rejected';

export interface DecideResult {
  events: CallSessionEvent[];
  outcome: DecideOutcome;
  reason?: string;
}

const applied = (events: CallSessionEvent[]): DecideResult => ({ events, outcome: 'applied' });
const none = (outcome: Exclude<DecideOutcome, 'applied'>, reason: string): DecideResult => ({ events: [], outcome, reason });

function wrongStream(state: CallSessionState, callId: string): DecideResult | null {
  if (state.callId !== null && state.callId !== callId)
    return none('rejected', `command for call ${callId} sent to the stream of call ${state.callId}`);
  return null;
}

function recordStatus(state: CallSessionState, { push, metadata }: RecordStatus): DecideResult {
  const wrong = wrongStream(state, push.callId);
  if (wrong) return wrong;
  const key = statusPushKey(push);
  const known = state.statuses[key];
  if (known) {
    return sameContentAsStored(push, known.push)
      ? none('duplicate', `status ${key} already recorded`)
      : none('conflicting-duplicate', `status ${key} already recorded with a different content; the first stays`);
  }
  const full = fullCallReason(state);
  if (full) return none('rejected', full);
  return applied([
    {
      type: 'StatusRecorded',
      data: { callId: push.callId, key, push, receivedAt: metadata.receivedAt, late: isFinalised(state) },
    },
  ]);
}

function recordCdr(state: CallSessionState, { push, metadata }: RecordCdr): DecideResult {
  const wrong = wrongStream(state, push.callId);
  if (wrong) return wrong;
  const key = cdrPushKey(push);
  const known = state.cdrs[key];
  if (known?.versions.some((v) => sameContentAsStored(push, v.push)))
    return none('duplicate', `CDR ${key} already recorded with this content`);
  // the first CDR is always taken (push-limit.ts): a full call is still finalised by its record
  const full = hasCdr(state) ? fullCallReason(state) : null;
  if (full) return none('rejected', full);
  const versions = [...(known?.versions ?? []), { push, receivedAt: metadata.receivedAt }];
  const authoritative = authoritativeVersion({ key, cdrType: push.cdrType, versions }).push === push;
  return applied([
    {
      type: 'CdrRecorded',
      data: {
        callId: push.callId,
        key,
        push,
        receivedAt: metadata.receivedAt,
        revision: versions.length,
        authoritative,
      },
    },
  ]);
}

function reconcileCall(state: CallSessionState, { callId, metadata }: ReconcileCall): DecideResult {
  if (isEmpty(state)) return none('rejected', `no call ${callId}`);
  const wrong = wrongStream(state, callId);
  if (wrong) return wrong;
  const reconciliation = reconciliationOf(state);
  const cdr = primaryCdr(state);
  if (cdr && state.status !== 'FINALIZED') {
    return applied([
      {
        type: 'CallFinalised',
        data: { callId, finalizedAt: metadata.receivedAt, cdrKey: cdrPushKey(cdr), reconciliation },
      },
    ]);
  }
  if (!isFinalised(state)) return none('noop', 'no CDR yet: nothing to reconcile');
  if (stableJson(reconciliation) === stableJson(state.reconciliation))
    return none('noop', 'reconciliation unchanged');
  return applied([
    {
      type: 'CallReconciled',
      data: { callId, reconciledAt: metadata.receivedAt, previous: state.reconciliation, reconciliation },
    },
  ]);
}

function flagCdrOverdue(state: CallSessionState, { callId, overdueAfterMs, metadata }: FlagCdrOverdue): DecideResult {
  if (isEmpty(state)) return none('rejected', `no call ${callId}`);
  const wrong = wrongStream(state, callId);
  if (wrong) return wrong;
  if (state.status !== 'OPEN') return none('noop', 'call is finalised');
  if (hasCdr(state)) return none('noop', 'CDR already received');
  if (state.cdrOverdue) return none('noop', 'already flagged');
  const last = state.lastPushAt ?? 0;
  if (metadata.receivedAt - last < overdueAfterMs) return none('noop', 'not overdue yet');
  return applied([
    { type: 'CdrOverdueFlagged', data: { callId, flaggedAt: metadata.receivedAt, lastPushAt: last, overdueAfterMs } },
  ]);
}

function forceFinalise(state: CallSessionState, { callId, reason, metadata }: ForceFinalise): DecideResult {
  if (isEmpty(state)) return none('rejected', `no call ${callId}`);
  const wrong = wrongStream(state, callId);
  if (wrong) return wrong;
  if (isFinalised(state)) return none('rejected', `call already ${state.status}`);
  if (hasCdr(state)) return none('rejected', 'the call has a CDR: ReconcileCall finalises it');
  const event: CallSessionEvent = {
    type: 'CallForceFinalised',
    data: { callId, finalizedAt: metadata.receivedAt, reason, reconciliation: { status: 'PENDING', findings: [] } },
  };
  // the findings are those of the session as it will be (late statuses excepted: none yet)
  event.data.reconciliation = reconciliationOf(evolve(state, event));
  return applied([event]);
}

export function decide(state: CallSessionState, command: CallSessionCommand): DecideResult {
  switch (command.type) {
    case 'RecordStatus':
      return recordStatus(state, command);
    case 'RecordCdr':
      return recordCdr(state, command);
    case 'ReconcileCall':
      return reconcileCall(state, command);
    case 'FlagCdrOverdue':
      return flagCdrOverdue(state, command);
    case 'ForceFinalise':
      return forceFinalise(state, command);
    default: {
      const never: never = command;
      return none('rejected', `unknown command ${(never as { type: string }).type}`);
    }
  }
}
