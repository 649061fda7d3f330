// How many pushes one call keeps.
//
// A status push's key holds its eventTime and a CDR's content makes a revision, so nothing in the
// spec bounds a call's stream: a sender that loops on one callId, or reuses callIds, would grow it
// without end — and every push of such a call folds, renders and writes the whole call (its view
// lists every status), so the cost of each push grows with the call and the cost of the call with
// its square. A real call brings a handful of statuses and one or two records; past this many, a
// NEW push of the call is refused (kept as rejected, with the reason), while pushes it already holds
// are still answered as duplicates — a retry never turns into a refusal. One exception: the first
// CDR of a call that has none is always taken, so a call past its limit is still finalised (and
// reconciled) when its record comes, whenever that is.
import type { CallSessionState } from './call-session.state.js';

export const MAX_PUSHES_PER_CALL = 256;

/** Distinct pushes the call holds: its statuses and every CDR content (revisions included). */
export function pushesHeld(state: CallSessionState): number {
  let held = Object.keys(state.statuses).length;
  for (const facts of Object.values(state.cdrs)) held += facts.versions.length;
  return held;
}

/** Why a new push of this call is refused, or null while it has room. */
export function fullCallReason(state: CallSessionState): string | null {
  return pushesHeld(state) >= MAX_PUSHES_PER_CALL
    ? `the call already holds ${MAX_PUSHES_PER_CALL} distinct pushes, the most one call keeps (a sender looping on a callId, or reusing it)`
    : null;
}
