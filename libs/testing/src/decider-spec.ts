// given(events).when(command).then(events): decider tests in the emmett style.
// Uses node:assert so it works under any runner (jest shows the diff of the AssertionError).
import { deepStrictEqual, ok, strictEqual } from 'node:assert/strict';
import {
  decide,
  evolveAll,
  initialState,
  type CallSessionCommand,
  type CallSessionEvent,
  type CallSessionState,
  type DecideOutcome,
  type DecideResult,
  type Finding,
} from '../../call-session-domain/src/index.js';

export interface DeciderThen {
  readonly state: CallSessionState;
  readonly result: DecideResult;
  /** exactly these events, outcome 'applied' (or, with no events, any outcome but 'applied'). */
  then(expected: CallSessionEvent[]): DeciderThen;
  /** this outcome (and no events unless 'applied'); the reason, when given, must contain the text */
  thenOutcome(outcome: DecideOutcome, reasonContains?: string): DeciderThen;
  /** the events pass the check (for partial assertions) */
  thenEvents(check: (events: CallSessionEvent[]) => void): DeciderThen;
  /** the state after evolving the new events passes the check */
  thenState(check: (after: CallSessionState) => void): DeciderThen;
  /** the findings carried by the emitted CallFinalised / CallReconciled / CallForceFinalised */
  thenFindings(check: (findings: Finding[]) => void): DeciderThen;
}

export interface DeciderWhen {
  when(command: CallSessionCommand): DeciderThen;
}

export function given(events: CallSessionEvent[] = [], from: CallSessionState = initialState): DeciderWhen {
  const state = evolveAll(from, events);
  return {
    when(command) {
      const result = decide(state, command);
      const self: DeciderThen = {
        state,
        result,
        then(expected) {
          deepStrictEqual(result.events, expected);
          if (expected.length > 0) strictEqual(result.outcome, 'applied', `outcome (reason: ${result.reason})`);
          else ok(result.outcome !== 'applied', `expected no change, got outcome applied`);
          return self;
        },
        thenOutcome(outcome, reasonContains) {
          strictEqual(result.outcome, outcome, `outcome (reason: ${result.reason})`);
          if (outcome !== 'applied') deepStrictEqual(result.events, []);
          if (reasonContains !== undefined)
            ok(result.reason?.includes(reasonContains), `reason "${result.reason}" should contain "${reasonContains}"`);
          return self;
        },
        thenEvents(check) {
          check(result.events);
          return self;
        },
        thenState(check) {
          check(evolveAll(state, result.events));
          return self;
        },
        thenFindings(check) {
          const carrying = result.events.filter(
            (e) => e.type === 'CallFinalised' || e.type === 'CallReconciled' || e.type === 'CallForceFinalised',
          );
          strictEqual(carrying.length, 1, `one event carrying findings, got ${result.events.map((e) => e.type).join(', ')}`);
          const e = carrying[0]!;
          if (e.type === 'CallFinalised' || e.type === 'CallReconciled' || e.type === 'CallForceFinalised')
            check(e.data.reconciliation.findings);
          return self;
        },
      };
      return self;
    },
  };
}

/** The codes of a list of findings, sorted (handy in assertions). */
export const codesOf = (findings: readonly Finding[]): string[] => findings.map((f) => f.code).sort();
