/** Keeps every latency sample (a few MB for a million tries) and reports exact percentiles. */
export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export class LatencyRecorder {
  private samples = new Float64Array(1024);
  private size = 0;
  private sum = 0;

  record(ms: number): void {
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
    };
  }
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;
