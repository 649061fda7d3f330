// callState by progress rank (contract §2): NONE → INITIATED → RINGING → ANSWERED → ENDED.

export type CallState = 'NONE' | 'INITIATED' | 'RINGING' | 'ANSWERED' | 'ENDED';

const RANK: Readonly<Record<CallState, number>> = { NONE: 0, INITIATED: 1, RINGING: 2, ANSWERED: 3, ENDED: 4 };

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
