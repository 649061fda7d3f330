/**
 * What the machine and the service did in each second of a bench phase, to put beside the
 * simulator's slowest seconds: a slow second whose service event loop was blocked is the
 * service's own (CPU, GC); one with a blocked load generator is the measurement's; one with high
 * steal or iowait is the machine's (the hypervisor, the disk); one with none of these points at the
 * wait for Postgres. Sampled once a second from /proc/stat (Linux), from this process's event-loop
 * delay and from the service's /metrics, whose event-loop delay histogram prom-client resets at
 * every scrape, so each scrape's max is that second's.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { LatencySecond } from '../latency-recorder.js';

/** The aggregate `cpu` line of /proc/stat, in clock ticks. */
export interface CpuTicks {
  busy: number;
  iowait: number;
  steal: number;
  total: number;
}

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
}

/** `cpu  user nice system idle iowait irq softirq steal …` → busy (user to softirq), iowait, steal, total */
export function parseCpuLine(procStat: string): CpuTicks {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('no aggregate cpu line in /proc/stat');
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number) as [
    number, number, number, number, number, number, number, number,
  ];
  const busy = user + nice + system + irq + softirq;
  return { busy, iowait, steal, total: busy + idle + iowait + steal };
}

/** `nodejs_eventloop_lag_max_seconds` of a Prometheus text exposition, in ms; null when absent. */
export function eventLoopMaxMs(metricsText: string): number | null {
  const match = /^nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? ([0-9.eE+-]+)$/m.exec(metricsText);
  return match ? Math.round(Number(match[1]) * 1000 * 10) / 10 : null;
}

const percent = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : 0);

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

  /** @param metricsUrl the service's /metrics; without one only the machine is traced */
  constructor(private readonly metricsUrl: string | null) {
    // A scrape now resets the histogram, so the first second's max is that second's.
    if (metricsUrl) void this.eventLoop();
    this.generatorLoop.enable();
    this.timer = setInterval(() => (this.pending = this.sample()), 1000);
  }

  async stop(): Promise<TracedSecond[]> {
    clearInterval(this.timer);
    this.generatorLoop.disable();
    await this.pending;
    return this.seconds;
  }

  private async sample(): Promise<void> {
    const second = this.seconds.length;
    const now = readCpu();
    const shares = cpuShares(this.last, now);
    this.last = now;
    const generatorLoopMaxMs = Math.round(this.generatorLoop.max / 1e5) / 10;
    this.generatorLoop.reset();
    const entry: TracedSecond = { second, ...shares, eventLoopMaxMs: null, generatorLoopMaxMs };
    this.seconds.push(entry);
    entry.eventLoopMaxMs = await this.eventLoop();
  }

  private async eventLoop(): Promise<number | null> {
    if (!this.metricsUrl) return null;
    try {
      const res = await fetch(this.metricsUrl, { signal: AbortSignal.timeout(900) });
      return res.ok ? eventLoopMaxMs(await res.text()) : null;
    } catch {
      return null; // a scrape that did not answer within the second: no figure for it
    }
  }
}

function readCpu(): CpuTicks {
  return parseCpuLine(readFileSync('/proc/stat', 'utf8'));
}

/**
 * A traced second as text for the tables:
 * `event loop 180 ms, generator's 12 ms, CPU 97 %, iowait 0 %, steal 2 %`.
 */
export function formatTracedSecond(s: TracedSecond | undefined): string {
  if (!s) return 'not traced';
  const loop = s.eventLoopMaxMs === null ? '' : `event loop ${Math.round(s.eventLoopMaxMs)} ms, `;
  return `${loop}generator's ${Math.round(s.generatorLoopMaxMs)} ms, CPU ${Math.round(s.busyPercent)} %, iowait ${Math.round(s.iowaitPercent)} %, steal ${Math.round(s.stealPercent)} %`;
}

/** The slowest seconds, each with what the trace saw in it: `4 s: 272 ms (n=1167; event loop …)`. */
export function formatWorstSecondsTraced(worst: readonly LatencySecond[], traced: readonly TracedSecond[]): string {
  if (worst.length === 0) return '—';
  return worst
    .map((w) => `${w.second} s: ${Math.round(w.max)} ms (n=${w.count}; ${formatTracedSecond(traced.find((t) => t.second === w.second))})`)
    .join(', ');
}
