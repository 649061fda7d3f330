// The harness the app uses too: run commands exactly as the app does — for each command decide,
// evolve its events, then run reactTo's follow-up commands the same way (depth first).
import {
  decide,
  evolve,
  initialState,
  reactTo,
  toCallView,
  type CallSessionCommand,
  type CallSessionEvent,
  type CallSessionState,
  type CallView,
  type DecideResult,
} from '../../call-session-domain/src/index.js';

export interface AppliedCommand {
  command: CallSessionCommand;
  result: DecideResult;
  /** true for a command issued by reactTo */
  followUp: boolean;
}

export interface AppliedRun {
  state: CallSessionState;
  /** every event appended, in stream order */
  events: CallSessionEvent[];
  results: AppliedCommand[];
}

const MAX_FOLLOW_UP_DEPTH = 8;

function run(state: CallSessionState, command: CallSessionCommand, log: AppliedRun, depth: number): CallSessionState {
  if (depth > MAX_FOLLOW_UP_DEPTH) throw new Error(`follow-up commands do not settle: ${command.type}`);
  const result = decide(state, command);
  log.results.push({ command, result, followUp: depth > 0 });
  let after = state;
  for (const e of result.events) {
    after = evolve(after, e);
    log.events.push(e);
  }
  for (const next of reactTo(after, result.events, command.metadata)) after = run(after, next, log, depth + 1);
  return after;
}

/** Run the commands (and their follow-ups) and return the run's log. */
export function applyAllWithLog(
  commands: readonly CallSessionCommand[],
  from: CallSessionState = initialState,
): AppliedRun {
  const log: AppliedRun = { state: from, events: [], results: [] };
  let state = from;
  for (const c of commands) state = run(state, c, log, 0);
  log.state = state;
  return log;
}

/** Run the commands (and their follow-ups) and return the final state. */
export function applyAll(
  commands: readonly CallSessionCommand[],
  from: CallSessionState = initialState,
): CallSessionState {
  return applyAllWithLog(commands, from).state;
}

/**
 * The view without what depends on arrival order by nature: receivedAt, openedAt, finalizedAt,
 * version, events[].late and LATE_STATUS_EVENT findings. Two runs of the same pushes in any order,
 * with any duplicates, must give equal comparable views.
 */
export function comparableView(view: CallView): unknown {
  const { version: _v, openedAt: _o, finalizedAt: _f, events, reconciliation, ...rest } = view;
  return {
    ...rest,
    events: events.map(({ receivedAt: _r, late: _l, ...e }) => e),
    reconciliation: {
      status: reconciliation.status,
      findings: reconciliation.findings.filter((f) => f.code !== 'LATE_STATUS_EVENT'),
    },
  };
}

/** applyAll then the comparable view. */
export const comparableViewOf = (commands: readonly CallSessionCommand[]): unknown =>
  comparableView(toCallView(applyAll(commands)));
