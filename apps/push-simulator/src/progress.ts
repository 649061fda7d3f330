/** The one-line progress report written every second on stderr. */
import type { SimulationStats } from './simulation-stats.js';

export class ProgressMeter {
  private last = { at: 0, requests: 0 };

  /** `open` counts pushes not yet acknowledged nor given up (in flight or waiting for a retry) */
  line(stats: SimulationStats, elapsedMs: number, inFlight: number, open: number): string {
    const window = elapsedMs - this.last.at;
    const rate = window > 0 ? ((stats.requests - this.last.requests) / window) * 1000 : 0;
    this.last = { at: elapsedMs, requests: stats.requests };
    const seconds = (elapsedMs / 1000).toFixed(0).padStart(4);
    return (
      `[${seconds}s] calls ${stats.calls} sent ${stats.sent} ack ${stats.acknowledged} dup-ack ${stats.duplicatesAcknowledged} ` +
      `retries ${stats.retries} gave-up ${stats.givenUp} 4xx ${stats.rejected4xx} 5xx ${stats.serverErrors5xx} other ${stats.otherNon2xx} ` +
      `timeouts ${stats.timeouts} net-err ${stats.networkErrors} | in flight ${inFlight}, open ${open} | ${rate.toFixed(0)} req/s`
    );
  }
}
