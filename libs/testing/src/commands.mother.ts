// Command and event builders for decider tests.
import {
  cdrPushKey,
  statusPushKey,
  type CallSessionCommand,
  type CallSessionEvent,
  type CdrPush,
  type CommandMetadata,
  type Reconciliation,
  type StatusPush,
} from '../../call-session-domain/src/index.js';
import type { CallFlow } from './push.mother.js';
import { T0 } from './fixed-clock.js';

const meta = (receivedAt: number): CommandMetadata => ({ receivedAt });

export const recordStatus = (push: StatusPush, receivedAt: number = T0): CallSessionCommand => ({
  type: 'RecordStatus',
  push,
  metadata: meta(receivedAt),
});
export const recordCdr = (push: CdrPush, receivedAt: number = T0): CallSessionCommand => ({
  type: 'RecordCdr',
  push,
  metadata: meta(receivedAt),
});
export const reconcileCall = (callId: string, receivedAt: number = T0): CallSessionCommand => ({
  type: 'ReconcileCall',
  callId,
  metadata: meta(receivedAt),
});
export const flagCdrOverdue = (callId: string, overdueAfterMs: number, receivedAt: number): CallSessionCommand => ({
  type: 'FlagCdrOverdue',
  callId,
  overdueAfterMs,
  metadata: meta(receivedAt),
});
export const forceFinalise = (callId: string, reason = 'no CDR expected', receivedAt: number = T0): CallSessionCommand => ({
  type: 'ForceFinalise',
  callId,
  reason,
  metadata: meta(receivedAt),
});

export const statusRecorded = (push: StatusPush, receivedAt: number = T0, late = false): CallSessionEvent => ({
  type: 'StatusRecorded',
  data: { callId: push.callId, key: statusPushKey(push), push, receivedAt, late },
});
export const cdrRecorded = (
  push: CdrPush,
  receivedAt: number = T0,
  revision = 1,
  authoritative = true,
): CallSessionEvent => ({
  type: 'CdrRecorded',
  data: { callId: push.callId, key: cdrPushKey(push), push, receivedAt, revision, authoritative },
});
export const callFinalised = (
  cdr: CdrPush,
  reconciliation: Reconciliation,
  finalizedAt: number = T0,
): CallSessionEvent => ({
  type: 'CallFinalised',
  data: { callId: cdr.callId, finalizedAt, cdrKey: cdrPushKey(cdr), reconciliation },
});

/** The commands of a flow in its natural order (statuses, then the CDRs), received 1 s apart. */
export function flowCommands(flow: CallFlow, startAt: number = T0 + 100_000, stepMs = 1000): CallSessionCommand[] {
  const pushes: CallSessionCommand[] = [
    ...flow.statuses.map((p) => recordStatus(p)),
    ...flow.cdrs.map((p) => recordCdr(p)),
  ];
  return pushes.map((c, i) => ({ ...c, metadata: meta(startAt + i * stepMs) }));
}

/** The events of a flow recorded in its natural order (no finalisation). */
export function flowEvents(flow: CallFlow, startAt: number = T0 + 100_000): CallSessionEvent[] {
  let t = startAt;
  return [
    ...flow.statuses.map((p) => statusRecorded(p, t++)),
    ...flow.cdrs.map((p) => cdrRecorded(p, t++)),
  ];
}
