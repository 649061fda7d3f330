/** CPU time and memory of processes, from /proc (Linux), sampled while a bench phase runs. */
import { readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // getconf CLK_TCK on Linux x86-64

/** `part` of `whole` in %, to a tenth; 0 of nothing is 0. */
export const percent = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : 0);

/** A /proc file, parsed; null once its process is gone or where the kernel has no such file. */
function readProc<T>(path: string, parse: (text: string) => T | null): T | null {
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** user + system CPU seconds of a process, or null once it is gone */
export function cpuSeconds(pid: number): number | null {
  return readProc(`/proc/${pid}/stat`, (stat) => {
    // fields after the ")" of the command name: state is field 3; utime 14 and stime 15
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  });
}

export function rssMb(pid: number): number | null {
  return readProc(`/proc/${pid}/status`, (status) => {
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : null;
  });
}

/** Nanoseconds a thread has spent on a core and runnable but waiting for one (its schedstat). */
export interface SchedTimes {
  runNs: number;
  waitNs: number;
}

/** The two numbers of `/proc/<pid>/task/<tid>/schedstat` ("run wait timeslices"), or null. */
export function parseSchedStat(text: string): SchedTimes | null {
  const [run, wait] = text.trim().split(/\s+/).map(Number);
  return Number.isFinite(run) && Number.isFinite(wait) ? { runNs: run!, waitNs: wait! } : null;
}

/** A thread's times (the main thread: tid = pid), or null once it is gone or the kernel keeps none. */
export function schedTimes(pid: number, tid = pid): SchedTimes | null {
  return readProc(`/proc/${pid}/task/${tid}/schedstat`, parseSchedStat);
}

/** The aggregate `cpu` line of /proc/stat, in clock ticks. */
export interface CpuTicks {
  busy: number;
  iowait: number;
  steal: number;
  total: number;
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

/** The machine's CPU ticks so far; null where there is no /proc/stat. */
export function machineTicks(): CpuTicks | null {
  return readProc('/proc/stat', parseCpuLine);
}

/** How a thread spent a window: % of its wall time on a core and % runnable but waiting for one. */
export interface ThreadShare {
  runPercent: number;
  waitPercent: number;
}

export function threadShare(before: SchedTimes | null, after: SchedTimes | null, seconds: number): ThreadShare | null {
  if (!before || !after || seconds <= 0) return null;
  return { runPercent: percent((after.runNs - before.runNs) / 1e9, seconds), waitPercent: percent((after.waitNs - before.waitNs) / 1e9, seconds) };
}

/**
 * Idle share of all cores between two readings, in % (iowait counts as idle: no core was busy).
 * Beside the threads' waits it tells a machine whose cores are all busy from one where work
 * queues for a core while another idles (bursts).
 */
export function idlePercent(before: CpuTicks | null, after: CpuTicks | null): number | null {
  if (!before || !after || after.total <= before.total) return null;
  const idle = (t: CpuTicks) => t.total - t.busy - t.steal;
  return percent(idle(after) - idle(before), after.total - before.total);
}

export interface ProcessUsage {
  /** CPU used over the window, in % of one core */
  cpuPercent: number;
  cpuSeconds: number;
  rssPeakMb: number;
  rssEndMb: number;
  /** its main thread (the event loop) over the window; null where the kernel keeps no schedstat */
  mainThread: ThreadShare | null;
}

/** A helper's CPU seconds and its time waiting for a core (0 where the kernel keeps no schedstat). */
interface HelperReading {
  cpu: number;
  waitNs: number;
}

function readHelper(pid: number): HelperReading | null {
  const cpu = cpuSeconds(pid);
  return cpu === null ? null : { cpu, waitNs: schedTimes(pid)?.waitNs ?? 0 };
}

/**
 * Samples one main pid (RSS, CPU, its main thread's time on a core and waiting for one) plus a
 * changing set of helper pids (CPU and waits only, e.g. Postgres backends).
 */
export class UsageSampler {
  private readonly startCpu: number;
  private readonly startSched: SchedTimes | null;
  private readonly helperStart = new Map<number, HelperReading>();
  private readonly helperLast = new Map<number, HelperReading>();
  private readonly startedAt = performance.now();
  private rssPeak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    private readonly helpers: () => readonly number[] = () => [],
  ) {
    this.startCpu = cpuSeconds(pid) ?? 0;
    this.startSched = schedTimes(pid);
    for (const h of helpers()) this.helperStart.set(h, readHelper(h) ?? { cpu: 0, waitNs: 0 });
    this.timer = setInterval(() => this.sample(), 250);
    this.timer.unref();
  }

  private sample(): void {
    this.rssPeak = Math.max(this.rssPeak, rssMb(this.pid) ?? 0);
    for (const h of this.helpers()) {
      const reading = readHelper(h);
      if (reading === null) continue;
      if (!this.helperStart.has(h)) this.helperStart.set(h, reading);
      this.helperLast.set(h, reading);
    }
  }

  /** `helpersWaitPercent`: null where the kernel keeps no schedstat */
  stop(): { main: ProcessUsage; helpersCpuPercent: number; helpersCpuSeconds: number; helpersWaitPercent: number | null } {
    const endSched = schedTimes(this.pid);
    this.sample();
    clearInterval(this.timer);
    const seconds = (performance.now() - this.startedAt) / 1000;
    const used = (cpuSeconds(this.pid) ?? this.startCpu) - this.startCpu;
    let helperUsed = 0;
    let helperWaitNs = 0;
    for (const [h, last] of this.helperLast) {
      const start = this.helperStart.get(h) ?? last;
      helperUsed += last.cpu - start.cpu;
      helperWaitNs += last.waitNs - start.waitNs;
    }
    const pct = (s: number) => percent(s, seconds);
    return {
      main: {
        cpuPercent: pct(used),
        cpuSeconds: Math.round(used * 100) / 100,
        rssPeakMb: this.rssPeak,
        rssEndMb: rssMb(this.pid) ?? 0,
        mainThread: threadShare(this.startSched, endSched, seconds),
      },
      helpersCpuPercent: pct(helperUsed),
      helpersCpuSeconds: Math.round(helperUsed * 100) / 100,
      helpersWaitPercent: this.startSched === null ? null : pct(helperWaitNs / 1e9),
    };
  }
}
