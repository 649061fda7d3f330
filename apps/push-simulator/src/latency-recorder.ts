/** One second of a run (counted from its start, by when the try ended) and its slowest answer. */
export interface LatencySecond {
  second: number;
  count: number;
  max: number;
}

/** Keeps every latency sample (a few MB for a million tries) and reports exact percentiles. */
export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
  /**
   * The seconds with the slowest answers, slowest first (at most WORST_SECONDS; only samples
   * recorded with their time): tells a stall of one moment from a tail spread over the run.
   */
  worstSeconds: LatencySecond[];
}

const WORST_SECONDS = 3;

export class LatencyRecorder {
  private samples = new Float64Array(1024);
  private size = 0;
  private sum = 0;
  /** by second of the run: how many answers ended in it and the slowest of them */
  private readonly seconds = new Map<number, { count: number; max: number }>();

  /** @param atMs when the try ended, ms since the run started (optional) */
  record(ms: number, atMs?: number): void {
    if (atMs !== undefined) {
      const second = Math.floor(atMs / 1000);
      const bucket = this.seconds.get(second);
      if (bucket) {
        bucket.count++;
        bucket.max = Math.max(bucket.max, ms);
      } else {
        this.seconds.set(second, { count: 1, max: ms });
      }
    }
    if (this.size === this.samples.length) {
      const bigger = new Float64Array(this.samples.length * 2);
      bigger.set(this.samples);
      this.samples = bigger;
    }
    this.samples[this.size++] = ms;
    this.sum += ms;
  }

  get count(): number {
    return this.size;
  }

  summary(): LatencySummary {
    const sorted = this.samples.slice(0, this.size).sort();
    const at = (p: number) => (this.size === 0 ? 0 : sorted[Math.min(this.size - 1, Math.ceil((p / 100) * this.size) - 1)]!);
    return {
      count: this.size,
      p50: round(at(50)),
      p95: round(at(95)),
      p99: round(at(99)),
      max: round(this.size === 0 ? 0 : sorted[this.size - 1]!),
      mean: round(this.size === 0 ? 0 : this.sum / this.size),
      worstSeconds: [...this.seconds]
        .map(([second, b]) => ({ second, count: b.count, max: round(b.max) }))
        .sort((a, b) => b.max - a.max || a.second - b.second)
        .slice(0, WORST_SECONDS),
    };
  }
}

/**
 * The worst seconds as text for the tables: `8 s: 181 ms (n=1320), 3 s: 65 ms (n=1309)`; with
 * `about`, what else is known of each second goes into its parentheses (`(n=1320; …)`).
 */
export function formatWorstSeconds(seconds: readonly LatencySecond[], about?: (s: LatencySecond) => string): string {
  if (seconds.length === 0) return '—';
  return seconds.map((s) => `${s.second} s: ${Math.round(s.max)} ms (n=${s.count}${about ? `; ${about(s)}` : ''})`).join(', ');
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;
