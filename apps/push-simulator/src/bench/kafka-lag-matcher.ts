import { LatencyRecorder, type LatencySummary } from '../latency-recorder.js';

export interface KafkaLagResult {
  lagMs: LatencySummary;
  expected: number;
  received: number;
}

/**
 * Pairs "the CDR of call X was acknowledged at t0" with "X's first finalised view reached Kafka
 * at t1" and records t1 − t0. Either may come first: a message can arrive before the sender's
 * acknowledgement has been handed over. Times are epoch milliseconds (they cross threads).
 */
export class KafkaLagMatcher {
  private readonly acks = new Map<string, number>();
  private readonly seen = new Set<string>();
  /** first arrival of calls not (yet) tracked */
  private readonly early = new Map<string, number>();
  private readonly lag = new LatencyRecorder();

  onMessage(callId: string, at: number): void {
    const ackAt = this.acks.get(callId);
    if (ackAt === undefined) {
      if (callId.startsWith('SIM') && !this.early.has(callId)) this.early.set(callId, at);
      return;
    }
    if (this.seen.has(callId)) return;
    this.seen.add(callId);
    this.lag.record(at - ackAt);
  }

  track(callId: string, ackAt: number): void {
    if (this.acks.has(callId)) return;
    this.acks.set(callId, ackAt);
    const arrived = this.early.get(callId);
    if (arrived !== undefined) this.onMessage(callId, Math.max(arrived, ackAt));
  }

  get complete(): boolean {
    return this.seen.size >= this.acks.size;
  }

  result(): KafkaLagResult {
    return { lagMs: this.lag.summary(), expected: this.acks.size, received: this.seen.size };
  }
}
