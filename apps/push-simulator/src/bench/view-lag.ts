/**
 * Acknowledgement → finalised view lag: right after a sampled call's CDR is acknowledged, poll
 * GET /v1/calls/{callId} until the view says FINALIZED. Since the view commits with the push,
 * this should be one GET's round trip; the figure includes that round trip (an upper bound).
 */
import http from 'node:http';
import { LatencyRecorder, type LatencySummary } from '../latency-recorder.js';

export interface ViewLagResult {
  lagMs: LatencySummary;
  /** share of samples already FINALIZED at the first GET */
  finalizedAtFirstGet: number;
  /** samples that never showed FINALIZED within the deadline */
  notFinalized: number;
}

export class ViewLagProbe {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  private readonly lag = new LatencyRecorder();
  private readonly inFlight = new Set<Promise<void>>();
  private firstGetHits = 0;
  private misses = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly deadlineMs = 10_000,
  ) {}

  /** start polling for a call whose CDR was acknowledged at `ackAt` (performance.now()) */
  track(callId: string, ackAt: number): void {
    const p = this.poll(callId, ackAt).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private async poll(callId: string, ackAt: number): Promise<void> {
    for (let attempt = 1; performance.now() - ackAt < this.deadlineMs; attempt++) {
      const status = await this.viewStatus(callId);
      if (status === 'FINALIZED') {
        this.lag.record(performance.now() - ackAt);
        if (attempt === 1) this.firstGetHits++;
        return;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    this.misses++;
  }

  private viewStatus(callId: string): Promise<string | null> {
    return new Promise((resolve) => {
      const req = http.get(`${this.baseUrl}/v1/calls/${encodeURIComponent(callId)}`, { agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(res.statusCode === 200 ? ((JSON.parse(Buffer.concat(chunks).toString()) as { status?: string }).status ?? null) : null);
          } catch {
            resolve(null);
          }
        });
      });
      req.setTimeout(3000, () => req.destroy());
      req.on('error', () => resolve(null));
    });
  }

  async finish(): Promise<ViewLagResult> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    this.agent.destroy();
    const n = this.lag.count;
    return { lagMs: this.lag.summary(), finalizedAtFirstGet: n === 0 ? 0 : Math.round((this.firstGetHits / n) * 1000) / 1000, notFinalized: this.misses };
  }
}
