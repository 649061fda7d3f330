/**
 * What the machine and the service did in each second of a bench phase, to put beside the
 * simulator's slowest seconds: a slow second whose service event loop was blocked is the
 * service's own (CPU, GC); one with a blocked load generator is the measurement's; one with high
 * steal or iowait is the machine's (the hypervisor, the disk); one with none of these points at the
 * wait for Postgres, which the service's group commits of that second show. Sampled once a second
 * from /proc/stat (Linux), from this process's event-loop delay and from the service's /metrics:
 * its event-loop delay histogram, which prom-client resets at every scrape (so each scrape's max
 * is that second's), and its commit-time histogram, read as the difference between scrapes.
 *
 * The scrape is not free: /metrics also runs the service's database gauges (the relay backlog,
 * the session counts), measured at ~13 ms of Postgres and ~4 ms of the service per scrape on 11k
 * calls while the session counts were a GROUP BY over `calls` (they now read the kept counts) —
 * about 2 % of one core at one scrape a second, so only the phases whose slowest seconds are
 * shown are traced.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { formatWorstSeconds, type LatencySecond } from '../latency-recorder.js';
import { machineTicks, percent, type CpuTicks } from './process-stats.js';

export interface TracedSecond {
  /** seconds since the phase started, as the simulator counts them */
  second: number;
  /** % of the machine's CPU time (all cores) in the second */
  busyPercent: number;
  iowaitPercent: number;
  stealPercent: number;
  /** the service's longest event-loop delay in the second; null without a /metrics to read */
  eventLoopMaxMs: number | null;
  /** the load generator's (this process's) longest event-loop delay in the second */
  generatorLoopMaxMs: number;
  /** the service's group commits that ended in the second; null without a /metrics to read */
  commits: CommitsInSecond | null;
}

export interface CommitsInSecond {
  count: number;
  /** the histogram bound its slowest commit fits under (ms); Infinity above the last bound */
  slowestUnderMs: number | null;
}

/** What one scrape of the service's /metrics tells the trace. */
interface Scrape {
  eventLoopMaxMs: number | null;
  /** cumulative counts of `voice_push_commit_seconds` by upper bound (s) */
  commitBuckets: Map<number, number>;
  /** cumulative counts of `voice_push_ack_seconds`, all kinds, by upper bound (s) */
  ackBuckets: Map<number, number>;
}

/** What a traced phase saw: each second, and the service's own ack times over the whole phase. */
export interface PhaseTrace {
  seconds: TracedSecond[];
  /** null without a /metrics to read, or when a scrape at either end failed */
  serviceAck: ServiceAckBounds | null;
}

/** `nodejs_eventloop_lag_max_seconds` of a Prometheus text exposition, in ms; null when absent. */
export function eventLoopMaxMs(metricsText: string): number | null {
  const match = /^nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? ([0-9.eE+-]+)$/m.exec(metricsText);
  return match ? Math.round(Number(match[1]) * 1000 * 10) / 10 : null;
}

/**
 * The cumulative buckets of histogram `name` in a Prometheus text exposition, by upper bound in s,
 * summed over its label sets (`voice_push_ack_seconds` has one per kind of push).
 */
export function histogramBuckets(metricsText: string, name: string): Map<number, number> {
  const buckets = new Map<number, number>();
  const line = new RegExp(`^${name}_bucket\\{(?:[^}]*,)?le="([^"]+)"[^}]*\\} ([0-9.eE+-]+)$`, 'gm');
  for (const [, le, count] of metricsText.matchAll(line)) {
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(count));
  }
  return buckets;
}

/**
 * Of the observations between two readings of a histogram: how many, and the smallest bound (ms)
 * at least `share` of them fit under — Infinity when only the last bucket holds them, null when
 * there were none. A bound, not a percentile: the histogram knows no more.
 */
export function quantileBound(before: Map<number, number>, after: Map<number, number>, share: number): { count: number; underMs: number | null } {
  const delta = (le: number) => (after.get(le) ?? 0) - (before.get(le) ?? 0);
  const count = delta(Infinity);
  if (count <= 0) return { count: 0, underMs: null };
  const bound = [...after.keys()].sort((a, b) => a - b).find((le) => delta(le) >= share * count)!;
  return { count, underMs: bound === Infinity ? Infinity : Math.round(bound * 1000) };
}

/** The commits between two readings of the commit histogram: how many, and the slowest one's bound. */
export function commitsBetween(before: Map<number, number>, after: Map<number, number>): CommitsInSecond {
  const { count, underMs } = quantileBound(before, after, 1);
  return { count, slowestUnderMs: underMs };
}

/**
 * The service's own acknowledgement times over a phase (`voice_push_ack_seconds`: from the body
 * read to the answer), beside the load generator's: what the generator measures on top of them is
 * HTTP, the kernel, its own stalls and the wait for a core.
 */
export interface ServiceAckBounds {
  count: number;
  /** bounds (ms) that half and 99 % of them fit under */
  p50UnderMs: number | null;
  p99UnderMs: number | null;
  /** % of them answered within 50 ms (the half-rate target's bound); null without that bucket */
  within50MsPercent: number | null;
}

export function serviceAckBounds(before: Map<number, number>, after: Map<number, number>): ServiceAckBounds {
  const p50 = quantileBound(before, after, 0.5);
  const within = after.has(0.05) && p50.count > 0 ? (after.get(0.05)! - (before.get(0.05) ?? 0)) / p50.count : null;
  return {
    count: p50.count,
    p50UnderMs: p50.underMs,
    p99UnderMs: quantileBound(before, after, 0.99).underMs,
    within50MsPercent: within === null ? null : Math.round(within * 10000) / 100,
  };
}

/** The share of each kind of CPU time between two readings. */
export function cpuShares(before: CpuTicks, after: CpuTicks): Pick<TracedSecond, 'busyPercent' | 'iowaitPercent' | 'stealPercent'> {
  const total = after.total - before.total;
  return {
    busyPercent: percent(after.busy - before.busy, total),
    iowaitPercent: percent(after.iowait - before.iowait, total),
    stealPercent: percent(after.steal - before.steal, total),
  };
}

export class SecondTrace {
  private readonly seconds: TracedSecond[] = [];
  private readonly timer: NodeJS.Timeout;
  private last = readCpu();
  private pending: Promise<void> = Promise.resolve();
  private readonly generatorLoop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private lastCommits: Map<number, number> | null = null;
  private firstAcks: Map<number, number> | null = null;

  /** @param metricsUrl the service's /metrics; without one only the machine is traced */
  constructor(private readonly metricsUrl: string | null) {
    // A scrape now resets the histogram, so the first second's max is that second's.
    if (metricsUrl) {
      this.pending = this.scrape().then((first) => {
        this.lastCommits = first?.commitBuckets ?? null;
        this.firstAcks = first?.ackBuckets ?? null;
      });
    }
    this.generatorLoop.enable();
    this.timer = setInterval(() => (this.pending = this.sample()), 1000);
  }

  async stop(): Promise<PhaseTrace> {
    clearInterval(this.timer);
    this.generatorLoop.disable();
    await this.pending;
    const last = this.firstAcks ? await this.scrape() : null;
    return { seconds: this.seconds, serviceAck: this.firstAcks && last ? serviceAckBounds(this.firstAcks, last.ackBuckets) : null };
  }

  private async sample(): Promise<void> {
    const second = this.seconds.length;
    const now = readCpu();
    const shares = cpuShares(this.last, now);
    this.last = now;
    const generatorLoopMaxMs = Math.round(this.generatorLoop.max / 1e5) / 10;
    this.generatorLoop.reset();
    const entry: TracedSecond = { second, ...shares, eventLoopMaxMs: null, generatorLoopMaxMs, commits: null };
    this.seconds.push(entry);
    const scrape = await this.scrape();
    if (!scrape) {
      // without this reading the next second's difference would hold two seconds' commits
      this.lastCommits = null;
      return;
    }
    entry.eventLoopMaxMs = scrape.eventLoopMaxMs;
    if (this.lastCommits) entry.commits = commitsBetween(this.lastCommits, scrape.commitBuckets);
    this.lastCommits = scrape.commitBuckets;
  }

  private async scrape(): Promise<Scrape | null> {
    if (!this.metricsUrl) return null;
    try {
      const res = await fetch(this.metricsUrl, { signal: AbortSignal.timeout(900) });
      if (!res.ok) return null;
      const text = await res.text();
      return {
        eventLoopMaxMs: eventLoopMaxMs(text),
        commitBuckets: histogramBuckets(text, 'voice_push_commit_seconds'),
        ackBuckets: histogramBuckets(text, 'voice_push_ack_seconds'),
      };
    } catch {
      return null; // a scrape that did not answer within the second: no figure for it
    }
  }
}

function readCpu(): CpuTicks {
  const ticks = machineTicks();
  if (ticks === null) throw new Error('the bench traces a second from /proc/stat, which this machine does not have');
  return ticks;
}

/**
 * A traced second as text for the tables:
 * `event loop 180 ms, generator's 12 ms, CPU 97 %, iowait 0 %, steal 2 %`.
 */
export function formatTracedSecond(s: TracedSecond | undefined): string {
  if (!s) return 'not traced';
  const loop = s.eventLoopMaxMs === null ? '' : `event loop ${Math.round(s.eventLoopMaxMs)} ms, `;
  return `${commitsText(s.commits)}${loop}generator's ${Math.round(s.generatorLoopMaxMs)} ms, CPU ${Math.round(s.busyPercent)} %, iowait ${Math.round(s.iowaitPercent)} %, steal ${Math.round(s.stealPercent)} %`;
}

function commitsText(c: CommitsInSecond | null): string {
  if (c === null) return '';
  if (c.count === 0 || c.slowestUnderMs === null) return 'no commit, ';
  const slowest = c.slowestUnderMs === Infinity ? 'slowest over the last bound' : `slowest ≤ ${c.slowestUnderMs} ms`;
  return `${c.count} commits (${slowest}), `;
}

/** `p50 ≤ 5 ms, p99 ≤ 50 ms, 99.92 % within 50 ms (n=18834)`; a dash when not traced. */
export function formatServiceAck(a: ServiceAckBounds | null): string {
  if (a === null || a.count === 0) return '—';
  const bound = (ms: number | null) => (ms === Infinity ? 'over the last bound' : `≤ ${ms} ms`);
  const within = a.within50MsPercent === null ? '' : `, ${a.within50MsPercent} % within 50 ms`;
  return `p50 ${bound(a.p50UnderMs)}, p99 ${bound(a.p99UnderMs)}${within} (n=${a.count})`;
}

/** The slowest seconds, each with what the trace saw in it: `4 s: 272 ms (n=1167; event loop …)`. */
export function formatWorstSecondsTraced(worst: readonly LatencySecond[], traced: readonly TracedSecond[]): string {
  return formatWorstSeconds(worst, (w) => formatTracedSecond(traced.find((t) => t.second === w.second)));
}
