/** CPU time and memory of processes, from /proc (Linux), sampled while a bench phase runs. */
import { readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // getconf CLK_TCK on Linux x86-64

/** user + system CPU seconds of a process, or null once it is gone */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the ")" of the command name: state is field 3; utime 14 and stime 15
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

export function rssMb(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

export interface ProcessUsage {
  /** CPU used over the window, in % of one core */
  cpuPercent: number;
  cpuSeconds: number;
  rssPeakMb: number;
  rssEndMb: number;
}

/** Samples one main pid (RSS, CPU) plus a changing set of helper pids (CPU only, e.g. Postgres backends). */
export class UsageSampler {
  private readonly startCpu: number;
  private readonly helperStart = new Map<number, number>();
  private readonly helperLast = new Map<number, number>();
  private readonly startedAt = performance.now();
  private rssPeak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    private readonly helpers: () => readonly number[] = () => [],
  ) {
    this.startCpu = cpuSeconds(pid) ?? 0;
    for (const h of helpers()) this.helperStart.set(h, cpuSeconds(h) ?? 0);
    this.timer = setInterval(() => this.sample(), 250);
    this.timer.unref();
  }

  private sample(): void {
    this.rssPeak = Math.max(this.rssPeak, rssMb(this.pid) ?? 0);
    for (const h of this.helpers()) {
      const cpu = cpuSeconds(h);
      if (cpu === null) continue;
      if (!this.helperStart.has(h)) this.helperStart.set(h, cpu);
      this.helperLast.set(h, cpu);
    }
  }

  stop(): { main: ProcessUsage; helpersCpuPercent: number; helpersCpuSeconds: number } {
    this.sample();
    clearInterval(this.timer);
    const seconds = (performance.now() - this.startedAt) / 1000;
    const used = (cpuSeconds(this.pid) ?? this.startCpu) - this.startCpu;
    let helperUsed = 0;
    for (const [h, last] of this.helperLast) helperUsed += last - (this.helperStart.get(h) ?? last);
    const pct = (s: number) => Math.round((s / seconds) * 1000) / 10;
    return {
      main: { cpuPercent: pct(used), cpuSeconds: Math.round(used * 100) / 100, rssPeakMb: this.rssPeak, rssEndMb: rssMb(this.pid) ?? 0 },
      helpersCpuPercent: pct(helperUsed),
      helpersCpuSeconds: Math.round(helperUsed * 100) / 100,
    };
  }
}
