// Helpers for reconciliation-rule tests.
import {
  evolveAll,
  initialState,
  reconcile,
  type CallSessionState,
  type CdrPush,
  type Finding,
  type StatusPush,
} from '../../call-session-domain/src/index.js';
import { flowEvents } from './commands.mother.js';

export interface Facts {
  statuses?: StatusPush[];
  cdrs?: CdrPush[];
}

const callIdOf = (f: Facts): string => f.statuses?.[0]?.callId ?? f.cdrs?.[0]?.callId ?? 'NM-facts';

/** The state holding these facts (recorded, not finalised). */
export const stateWith = (facts: Facts): CallSessionState =>
  evolveAll(initialState, flowEvents({ callId: callIdOf(facts), statuses: facts.statuses ?? [], cdrs: facts.cdrs ?? [] }));

/** reconcile() of the state holding these facts. */
export const findingsOf = (facts: Facts): Finding[] => reconcile(stateWith(facts));

/** Only the findings with this code. */
export const withCode = (findings: readonly Finding[], code: string): Finding[] => findings.filter((f) => f.code === code);
