/** The counters of a run and the summary they come to. */
import { ANOMALIES, type Anomaly } from './anomalies.js';
import { CALL_KINDS, type CallKind } from './call-mix.js';
import { LatencyRecorder, type LatencySummary } from './latency-recorder.js';
import type { ScheduleReport } from './rate-limiter.js';
import type { DeliveryResult } from './retry-schedule.js';
import { isAcknowledged, type TryOutcome } from './try-outcome.js';

export interface SimulationSummary {
  calls: number;
  callsByKind: Record<CallKind, number>;
  anomalies: Record<Anomaly, number>;
  /** pushes (the extra copies of the duplicate anomaly included) whose first try went out */
  sent: number;
  /** the run was interrupted (Ctrl-C): the pushes below never went out, retries waiting were abandoned */
  interrupted: boolean;
  /** pushes of calls already started that never went out because the run was interrupted */
  notSent: number;
  /** pushes that got a 2xx, on some try */
  acknowledged: number;
  /** 2xx answers that said `duplicate:true` (a copy, or a retry of a push already stored) */
  duplicatesAcknowledged: number;
  /** pushes that needed at least one retry */
  retried: number;
  /** retry tries made (tries beyond the first) */
  retries: number;
  /** pushes whose 6th try failed too */
  givenUp: number;
  /** pushes still waiting for a retry when the run's drain time ran out, or when it was interrupted */
  abandoned: number;
  /** HTTP tries, first tries and retries */
  requests: number;
  /** 4xx answers (retried like any non-2xx, spec §2.2) */
  rejected4xx: number;
  serverErrors5xx: number;
  timeouts: number;
  networkErrors: number;
  /** other non-2xx answers (1xx/3xx) */
  otherNon2xx: number;
  /** ms from the start to the last first try */
  loadElapsedMs: number;
  /** ms from the start to the end, retries included */
  elapsedMs: number;
  /** 2xx answers per second over loadElapsedMs (those that came before the load ended) */
  acksPerSecond: number;
  requestsPerSecond: number;
  /** what came after the load ended (the last first try): the retries drained, and their 2xx */
  afterLoad: { acks: number; requests: number; elapsedMs: number };
  /** answer time of the 2xx tries, from the moment each try was sent */
  latencyMs: LatencySummary;
  /**
   * per acknowledged push, from its first try to its 2xx: a push that timed out or was refused
   * first counts its failed tries and the waits between them (a receiver timing out 10 % of the
   * pushes shows here, not in `latencyMs`, which sees only the 2xx tries)
   */
  timeToAckMs: LatencySummary;
  /**
   * With a rate (open loop): the schedule asked for and what it came to, and the 2xx first tries'
   * answer time counted from the slot the schedule gave each push — the wait for a free
   * concurrency slot included, which `latencyMs` leaves out. A stall that holds every connection
   * longer than the limiter's catch-up allowance (100 ms of slots) skips slots rather than queue
   * them: nothing goes out in them, so the stall's wait is not measured (the next push takes the next
   * free slot), and the achieved rate falls short, which `rateMet` says. Null in a closed loop.
   */
  openLoop: {
    targetRate: number;
    /** pushes given a slot per second, over the span from the first slot to the last */
    achievedRate: number;
    /** false when the achieved rate fell short of the target by more than 5 %: the receiver, the concurrency or the generator held it back */
    rateMet: boolean;
    latencyFromScheduleMs: LatencySummary;
    /** slots the schedule passed over in stalls that held every connection: nothing went out in them, so the stall's wait is not measured (0: the measure is whole) */
    skippedSlots: number;
  } | null;
}

export class SimulationStats {
  calls = 0;
  readonly callsByKind = Object.fromEntries(CALL_KINDS.map((k) => [k, 0])) as Record<CallKind, number>;
  readonly anomalies = Object.fromEntries(ANOMALIES.map((a) => [a, 0])) as Record<Anomaly, number>;
  sent = 0;
  notSent = 0;
  acknowledged = 0;
  duplicatesAcknowledged = 0;
  retried = 0;
  retries = 0;
  givenUp = 0;
  abandoned = 0;
  requests = 0;
  acks = 0;
  rejected4xx = 0;
  serverErrors5xx = 0;
  timeouts = 0;
  networkErrors = 0;
  otherNon2xx = 0;
  readonly latency = new LatencyRecorder();
  readonly latencyFromSchedule = new LatencyRecorder();
  readonly timeToAck = new LatencyRecorder();
  /** the counters the throughput is figured from, as they stood when the load ended */
  private atLoadEnd: { acks: number; requests: number } | null = null;

  recordCall(kind: CallKind, anomalies: readonly Anomaly[]): void {
    this.calls++;
    this.callsByKind[kind]++;
    for (const a of anomalies) this.anomalies[a]++;
  }

  /** @param atMs when the try ended, ms since the run started */
  recordTry(outcome: TryOutcome, tryNumber: number, atMs?: number): void {
    this.requests++;
    if (tryNumber > 1) this.retries++;
    if (tryNumber === 2) this.retried++;
    if (isAcknowledged(outcome)) {
      this.acks++;
      this.latency.record(outcome.latencyMs, atMs);
      if (outcome.kind === 'response' && outcome.duplicate) this.duplicatesAcknowledged++;
      return;
    }
    if (outcome.kind === 'timeout') this.timeouts++;
    else if (outcome.kind === 'error') this.networkErrors++;
    else if (outcome.status >= 400 && outcome.status < 500) this.rejected4xx++;
    else if (outcome.status >= 500) this.serverErrors5xx++;
    else this.otherNon2xx++;
  }

  /** A 2xx first try of an open loop, answered `ms` after its scheduled moment. */
  recordFromSchedule(ms: number, atMs: number): void {
    this.latencyFromSchedule.record(ms, atMs);
  }

  /** An acknowledged push, `ms` after its first try went out. */
  recordTimeToAck(ms: number, atMs: number): void {
    this.timeToAck.record(ms, atMs);
  }

  /** The load ended (the last first try): retries after it do not count in the throughput. */
  loadEnded(): void {
    this.atLoadEnd = { acks: this.acks, requests: this.requests };
  }

  recordDelivery(result: DeliveryResult): void {
    if (result.outcome === 'acknowledged') this.acknowledged++;
    else if (result.outcome === 'givenUp') this.givenUp++;
    else this.abandoned++;
  }

  /** `schedule`: the rate limiter's report of an open loop, null in a closed loop */
  summary(loadElapsedMs: number, elapsedMs: number, schedule: ScheduleReport | null = null, interrupted = false): SimulationSummary {
    const perSecond = (n: number) => perSecondOver(n, loadElapsedMs);
    const atLoadEnd = this.atLoadEnd ?? { acks: this.acks, requests: this.requests };
    return {
      calls: this.calls,
      callsByKind: { ...this.callsByKind },
      anomalies: { ...this.anomalies },
      sent: this.sent,
      interrupted,
      notSent: this.notSent,
      acknowledged: this.acknowledged,
      duplicatesAcknowledged: this.duplicatesAcknowledged,
      retried: this.retried,
      retries: this.retries,
      givenUp: this.givenUp,
      abandoned: this.abandoned,
      requests: this.requests,
      rejected4xx: this.rejected4xx,
      serverErrors5xx: this.serverErrors5xx,
      timeouts: this.timeouts,
      networkErrors: this.networkErrors,
      otherNon2xx: this.otherNon2xx,
      loadElapsedMs: Math.round(loadElapsedMs),
      elapsedMs: Math.round(elapsedMs),
      acksPerSecond: perSecond(atLoadEnd.acks),
      requestsPerSecond: perSecond(atLoadEnd.requests),
      afterLoad: {
        acks: this.acks - atLoadEnd.acks,
        requests: this.requests - atLoadEnd.requests,
        elapsedMs: Math.round(elapsedMs - loadElapsedMs),
      },
      latencyMs: this.latency.summary(),
      timeToAckMs: this.timeToAck.summary(),
      openLoop: schedule ? this.openLoop(schedule) : null,
    };
  }

  private openLoop({ ratePerSecond, slots, spanMs, skipped }: ScheduleReport): NonNullable<SimulationSummary['openLoop']> {
    // over the schedule's own span, not the run's length: a short run that kept the pace is not
    // told it fell short, and a stall that skipped slots shows in it
    const achievedRate = perSecondOver(slots, spanMs);
    return {
      targetRate: ratePerSecond,
      achievedRate,
      rateMet: achievedRate >= ratePerSecond * 0.95,
      latencyFromScheduleMs: this.latencyFromSchedule.summary(),
      skippedSlots: skipped,
    };
  }
}

/** `n` over `ms`, per second, to one decimal; 0 over no time. */
function perSecondOver(n: number, ms: number): number {
  return ms > 0 ? Math.round((n / ms) * 1000 * 10) / 10 : 0;
}
