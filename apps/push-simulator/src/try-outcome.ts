/** What one HTTP try of a push came to. */
export type TryOutcome =
  | { kind: 'response'; status: number; latencyMs: number; duplicate: boolean }
  | { kind: 'timeout'; latencyMs: number }
  | { kind: 'error'; error: string; latencyMs: number };

/** spec §2.1: success is any HTTP 2xx */
export const isAcknowledged = (o: TryOutcome): boolean => o.kind === 'response' && o.status >= 200 && o.status < 300;
