// A fixed, manually advanced clock: the domain takes time from command metadata only.
import type { CommandMetadata } from '../../call-session-domain/src/index.js';

/** 2021-06-03T07:00:00.000Z, a whole second (status eventTimes are whole seconds on the wire). */
export const T0 = Date.UTC(2021, 5, 3, 7, 0, 0);

export interface FixedClock {
  now(): number;
  /** move forward by ms and return the new time */
  advance(ms: number): number;
  set(ms: number): void;
  /** command metadata at the current time (optionally advancing first) */
  metadata(advanceMs?: number, idempotencyKey?: string): CommandMetadata;
}

export function fixedClock(start: number = T0): FixedClock {
  let t = start;
  return {
    now: () => t,
    advance(ms) {
      t += ms;
      return t;
    },
    set(ms) {
      t = ms;
    },
    metadata(advanceMs = 0, idempotencyKey) {
      t += advanceMs;
      return idempotencyKey === undefined ? { receivedAt: t } : { receivedAt: t, idempotencyKey };
    },
  };
}

/** Metadata at a given time. */
export const at = (receivedAt: number, idempotencyKey?: string): CommandMetadata =>
  idempotencyKey === undefined ? { receivedAt } : { receivedAt, idempotencyKey };
