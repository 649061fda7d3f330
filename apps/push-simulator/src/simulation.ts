/**
 * runSimulation: plays calls against a receiver the way the platform would — each call's pushes
 * go out one after the other (a push waits for the previous one's first try, and for its immediate
 * retry when that failed), a failed push is retried in the background on the spec's schedule while
 * the call goes on, and up to `concurrency` tries are in flight across calls, new pushes paced to
 * `rate` per second. A retry keeps the spec's schedule: it is not paced, the immediate one takes
 * the failed try's own connection slot, and a later one goes ahead of the new pushes waiting for a
 * slot (in a queue behind them it would go out seconds late under load).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { NO_ANOMALIES, planCall, type AnomalyRates, type PlannedCall } from './anomalies.js';
import { DEFAULT_MIX, type CallMix } from './call-mix.js';
import { drawCallKind, generateCallFlow } from './call-flow.generator.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { HttpTransport, type Transport } from './http-transport.js';
import { Prng } from './prng.js';
import { ProgressMeter } from './progress.js';
import type { Push } from './push.js';
import { RateLimiter } from './rate-limiter.js';
import { deliverWithRetries, realSleep, type Sleep } from './retry-schedule.js';
import { SimulationStats, type SimulationSummary } from './simulation-stats.js';
import { isAcknowledged, type TryOutcome } from './try-outcome.js';
import { setMaxListeners } from 'node:events';

/** Missed slots up to this old are caught up (sent at once): the average rate holds when answers come in clumps. */
const CATCH_UP_MS = 100;

export interface SimulationOptions {
  /** base URL of the receiver */
  url: string;
  /** new pushes (first tries) per second, 0: as fast as the concurrency allows (closed loop) */
  rate?: number;
  /** most tries in flight at once (default 32) */
  concurrency?: number;
  /** stop after this many calls … */
  calls?: number;
  /** … or after this many ms of starting calls (whichever first; one of them is required) */
  durationMs?: number;
  /** multiplies the retry delays (0.001: 0, 5, 30, 300, 1800 ms). Default 1 */
  timeScale?: number;
  /** same seed, same calls, anomalies and order. Default 42 */
  seed?: number | string;
  /** per-call chance of each anomaly (default none) */
  anomalies?: Partial<AnomalyRates>;
  mix?: CallMix;
  /** a try without a complete answer after this is a timeout (default 3000, spec §6.4) */
  timeoutMs?: number;
  /** how long to wait for pending retries after the last call (default: as long as the schedule takes) */
  drainTimeoutMs?: number;
  /** part of every callId (default random, so runs do not collide) */
  runId?: string;
  /**
   * epoch ms of the first call, call n beginning n s later: the same calls on every run (tests).
   * Default: each call has just ended when its first push goes out (the wall clock), so event
   * times stay true however long and fast the run is.
   */
  baseTimeMs?: number;
  /**
   * Aborting it interrupts the run (the CLI's Ctrl-C): no new call or push starts, retries waiting
   * for their time are abandoned, the tries in flight end (each within the timeout), and the
   * summary says `interrupted`, with the pushes of started calls that never went out (`notSent`).
   */
  interrupt?: AbortSignal;
  /** a progress line every second on stderr (default false) */
  progress?: boolean | ((line: string) => void);
  /** hooks */
  onCall?: (call: PlannedCall) => void;
  onTry?: (push: Push, outcome: TryOutcome, tryNumber: number, atMs: number) => void;
  /** injected for tests: where tries go, how waiting and time work */
  transport?: Transport;
  sleep?: Sleep;
  now?: () => number;
}

/** A try that did not go out: the run was interrupted while it waited for its slot. */
class NotSent extends Error {
  constructor(readonly first: boolean) {
    super('interrupted before it went out');
  }
}

export async function runSimulation(options: SimulationOptions): Promise<SimulationSummary> {
  const concurrency = options.concurrency ?? 32;
  if (options.calls === undefined && options.durationMs === undefined) throw new Error('runSimulation: give calls or durationMs');
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale >= 0)) throw new Error('timeScale must be ≥ 0');
  const seed = options.seed ?? 42;
  const rates: AnomalyRates = { ...NO_ANOMALIES, ...options.anomalies };
  const mix = options.mix ?? DEFAULT_MIX;
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? realSleep;
  const context = {
    runId: options.runId ?? randomBytes(4).toString('hex'),
    baseTimeMs: options.baseTimeMs ?? Math.floor(Date.now() / 1000) * 1000,
  };
  const transport = options.transport ?? new HttpTransport({ url: options.url, timeoutMs: options.timeoutMs ?? 3000, maxSockets: concurrency });
  const ownsTransport = options.transport === undefined;
  const limiter = new RateLimiter(options.rate ?? 0, now, sleep, CATCH_UP_MS);
  const slots = new ConcurrencyLimiter(concurrency);
  const stats = new SimulationStats();
  const drain = new AbortController();
  // every retry waiting for its next try listens on this one signal, and every caller waiting for
  // its rate slot on the interrupt: Node warns of a leak past 10 listeners (it printed
  // MaxListenersExceededWarning on every --rate run of 10 or more senders), which these are not
  setMaxListeners(0, drain.signal);
  if (options.interrupt) setMaxListeners(0, options.interrupt);
  const interrupted = () => options.interrupt?.aborted === true;
  if (options.interrupt?.aborted) drain.abort();
  else options.interrupt?.addEventListener('abort', () => drain.abort(), { once: true });
  const pending = new Set<Promise<void>>();

  const started = now();
  const endsAt = started + (options.durationMs ?? Infinity);
  let nextSeq = 0;

  /** the first error that was not an HTTP outcome (a transport that threw): the run fails with it */
  let failure: { error: unknown } | undefined;

  /**
   * One push's tries. Resolves after its first try, or, when that failed, once the immediate retry
   * has gone out on the first try's own connection slot, kept for it: neither the call's next push
   * nor another call's push waiting for a slot goes between the failure and the retry (spec §2.2:
   * at once). Later retries wait their time, then go ahead of every new push waiting for a slot.
   * The retries go on in `pending`. `scheduledAt`: the push's slot in the open loop (null: closed).
   */
  const deliver = (push: Push, scheduledAt: number | null): Promise<void> =>
    new Promise<void>((firstTryDone) => {
      let tries = 0;
      let firstSentAt = 0;
      /** the slot of a failed first try, held for the immediate retry */
      let kept = false;
      const sendOnce = async (): Promise<TryOutcome> => {
        const first = tries++ === 0;
        if (kept) kept = false;
        else await slots.acquire(!first);
        let outcome: TryOutcome;
        try {
          // nothing goes out after an interrupt, not even a try that waited for its slot through it
          if (interrupted()) throw new NotSent(first);
          if (first) stats.sent++;
          outcome = await transport.send(push);
        } catch (error) {
          slots.release();
          throw error;
        }
        if (first && !isAcknowledged(outcome) && !interrupted()) kept = true;
        else slots.release();
        if (first && scheduledAt !== null && isAcknowledged(outcome)) {
          const at = now();
          stats.recordFromSchedule(at - scheduledAt, at - started);
        }
        return outcome;
      };
      const delivery = deliverWithRetries(sendOnce, {
        timeScale,
        sleep,
        signal: drain.signal,
        onTry: (outcome, tryNumber) => {
          const at = now();
          stats.recordTry(outcome, tryNumber, at - started);
          if (tryNumber === 1) firstSentAt = at - outcome.latencyMs;
          // the sender's view of the push: from its first try to its 2xx, failed tries and waits included
          if (isAcknowledged(outcome)) stats.recordTimeToAck(at - firstSentAt, at - started);
          options.onTry?.(push, outcome, tryNumber, at);
          if (tryNumber === 1 && isAcknowledged(outcome)) firstTryDone();
        },
        onRetryAsked: (retryNumber) => {
          if (retryNumber === 1) firstTryDone();
        },
      })
        .then(
          (result) => stats.recordDelivery(result),
          (error: unknown) => {
            if (error instanceof NotSent) {
              if (error.first) stats.notSent++;
              else stats.abandoned++; // a retry that waited for its slot through the interrupt
            } else failure ??= { error };
          },
        )
        .finally(() => {
          firstTryDone(); // when no try resolved it: abandoned, or failed
          // an immediate retry that never came (the run was drained or interrupted first)
          if (kept) slots.release();
          kept = false;
        });
      pending.add(delivery);
      void delivery.finally(() => pending.delete(delivery));
    });

  const worker = async () => {
    while (!interrupted() && (options.calls === undefined || nextSeq < options.calls)) {
      const seq = nextSeq++;
      // A call is made when its first push's slot comes, not before: at a low rate each worker
      // would otherwise make one at the start, stale by the time its turn came, and past --duration.
      let scheduledAt = await limiter.acquire(endsAt, options.interrupt);
      if (scheduledAt === undefined) break;
      const prng = new Prng(`${seed}:${seq}`);
      const flow = generateCallFlow(prng, seq, drawCallKind(prng, mix), context, options.baseTimeMs === undefined ? Date.now() : undefined);
      const call = planCall(prng, flow, rates);
      stats.recordCall(flow.kind, call.anomalies);
      options.onCall?.(call);
      for (const [i, push] of call.pushes.entries()) {
        if (i > 0) scheduledAt = await limiter.acquire(Infinity, options.interrupt);
        if (scheduledAt === undefined || interrupted()) {
          stats.notSent += call.pushes.length - i;
          break;
        }
        await deliver(push, scheduledAt);
      }
    }
  };

  const meter = new ProgressMeter();
  const progress = startProgress(options.progress, () => meter.line(stats, now() - started, slots.inFlight, pending.size));
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
    const loadEnded = now();
    stats.loadEnded();
    let drainTimer: NodeJS.Timeout | undefined;
    if (options.drainTimeoutMs !== undefined && pending.size > 0) {
      drainTimer = setTimeout(() => drain.abort(), options.drainTimeoutMs);
    }
    while (pending.size > 0) await Promise.all([...pending]);
    clearTimeout(drainTimer);
    if (failure !== undefined) throw failure.error;
    return stats.summary(loadEnded - started, now() - started, limiter.report(), interrupted());
  } finally {
    progress.stop();
    if (ownsTransport) await transport.close();
  }
}

function startProgress(option: SimulationOptions['progress'], line: () => string) {
  if (!option) return { stop: () => undefined };
  const write = typeof option === 'function' ? option : (text: string) => process.stderr.write(`${text}\n`);
  const timer = setInterval(() => write(line()), 1000);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      write(line());
    },
  };
}
