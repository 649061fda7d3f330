// callState by progress rank (contract §2): NONE → INITIATED → RINGING → ANSWERED → ENDED.

/** in progress order: a state's rank is its index */
export const CALL_STATES = ['NONE', 'INITIATED', 'RINGING', 'ANSWERED', 'ENDED'] as const;
export type CallState = (typeof CALL_STATES)[number];

const RANK = Object.fromEntries(CALL_STATES.map((state, rank) => [state, rank])) as Readonly<Record<CallState, number>>;

/** The call state a status eventType moves to; null for an unknown eventType (no state change). */
export function callStateOfEventType(eventType: number): CallState | null {
  switch (eventType) {
    case 1:
      return 'INITIATED';
    case 2:
      return 'RINGING';
    case 3:
      return 'ANSWERED';
    case 4:
      return 'ENDED';
    default:
      return null;
  }
}

export const rankOf = (s: CallState): number => RANK[s];

/** The further of two states: progress never goes back. */
export const furthest = (a: CallState, b: CallState): CallState => (RANK[b] > RANK[a] ? b : a);
