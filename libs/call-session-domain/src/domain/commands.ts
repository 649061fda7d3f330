// Commands of the call session (imperative names). Time comes from metadata, never the wall clock.
import type { CdrPush, CommandMetadata, StatusPush } from './push.js';

export type RecordStatus = { type: 'RecordStatus'; push: StatusPush; metadata: CommandMetadata };
export type RecordCdr = { type: 'RecordCdr'; push: CdrPush; metadata: CommandMetadata };
export type ReconcileCall = { type: 'ReconcileCall'; callId: string; metadata: CommandMetadata };
export type FlagCdrOverdue = {
  type: 'FlagCdrOverdue';
  callId: string;
  overdueAfterMs: number;
  metadata: CommandMetadata;
};
export type ForceFinalise = { type: 'ForceFinalise'; callId: string; reason: string; metadata: CommandMetadata };

export type CallSessionCommand = RecordStatus | RecordCdr | ReconcileCall | FlagCdrOverdue | ForceFinalise;

export type CallSessionCommandType = CallSessionCommand['type'];

/** The callId a command targets. */
export function commandCallId(c: CallSessionCommand): string {
  switch (c.type) {
    case 'RecordStatus':
    case 'RecordCdr':
      return c.push.callId;
    case 'ReconcileCall':
    case 'FlagCdrOverdue':
    case 'ForceFinalise':
      return c.callId;
    default: {
      const never: never = c;
      throw new Error(`unknown command ${(never as { type: string }).type}`);
    }
  }
}
