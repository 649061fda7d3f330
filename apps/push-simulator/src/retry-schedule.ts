/**
 * The sender's retry schedule, spec §2.2: on any non-2xx answer or a timeout the push is tried
 * again immediately, then 5 s, 30 s, 5 min and 30 min after the previous failure — 6 tries in
 * all, the last about 35.6 minutes after the first. 4xx answers are retried like any other
 * non-2xx (the spec makes no exception); after the 5th retry fails the push is given up.
 */
import type { TryOutcome } from './try-outcome.js';
import { isAcknowledged } from './try-outcome.js';

/** delay before retry 1..5, after the previous failure */
export const RETRY_DELAYS_MS: readonly number[] = [0, 5_000, 30_000, 300_000, 1_800_000];
export const MAX_TRIES = RETRY_DELAYS_MS.length + 1;

export const scaledRetryDelays = (timeScale: number): number[] => RETRY_DELAYS_MS.map((ms) => ms * timeScale);

/** Resolves after `ms` (or early, when `signal` aborts). Injected so tests time nothing. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** `ms` ≤ 0 resolves without a timer: "immediately" must not wait behind every I/O callback ready */
export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export type DeliveryResult =
  | { outcome: 'acknowledged'; tries: TryOutcome[] }
  | { outcome: 'givenUp'; tries: TryOutcome[] }
  /** the run ended (its drain timeout, or an interrupt) while a retry was still waiting */
  | { outcome: 'abandoned'; tries: TryOutcome[] };

export interface DeliveryOptions {
  timeScale: number;
  sleep: Sleep;
  /** aborting stops the schedule at its next wait */
  signal?: AbortSignal;
  /** called after every try, with its 1-based number */
  onTry?: (outcome: TryOutcome, tryNumber: number) => void;
  /** called before each retry's wait, with the scaled delay */
  onRetryScheduled?: (delayMs: number, retryNumber: number) => void;
  /** called once a retry has been asked of `sendOnce` (its try may still wait for a connection) */
  onRetryAsked?: (retryNumber: number) => void;
}

/** Tries `sendOnce` until acknowledged, following the schedule exactly. */
export async function deliverWithRetries(sendOnce: () => Promise<TryOutcome>, options: DeliveryOptions): Promise<DeliveryResult> {
  const delays = scaledRetryDelays(options.timeScale);
  const tries: TryOutcome[] = [];
  for (let tryNumber = 1; tryNumber <= MAX_TRIES; tryNumber++) {
    if (tryNumber > 1) {
      const delay = delays[tryNumber - 2]!;
      options.onRetryScheduled?.(delay, tryNumber - 1);
      if (options.signal?.aborted) return { outcome: 'abandoned', tries };
      await options.sleep(delay, options.signal);
      if (options.signal?.aborted) return { outcome: 'abandoned', tries };
    }
    const sent = sendOnce();
    if (tryNumber > 1) options.onRetryAsked?.(tryNumber - 1);
    const outcome = await sent;
    tries.push(outcome);
    options.onTry?.(outcome, tryNumber);
    if (isAcknowledged(outcome)) return { outcome: 'acknowledged', tries };
  }
  return { outcome: 'givenUp', tries };
}
