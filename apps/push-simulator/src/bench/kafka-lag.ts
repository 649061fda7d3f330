/**
 * Acknowledgement → Kafka lag: a consumer (fresh group) on voice.calls.finalized.v1 notes when
 * the first finalised view of each tracked call arrives. Bench-only: the service itself reaches
 * Kafka through the EventPublisher port, never through this file.
 */
// eslint-disable-next-line no-restricted-imports -- bench code measures the broker from outside; the service keeps kafkajs behind libs/messaging
import kafkajs, { type Consumer } from 'kafkajs';
import { LatencyRecorder, type LatencySummary } from '../latency-recorder.js';

const { Kafka, logLevel } = kafkajs;

export const FINALIZED_TOPIC = 'voice.calls.finalized.v1';

export interface KafkaLagResult {
  lagMs: LatencySummary;
  expected: number;
  received: number;
}

export class KafkaLagProbe {
  private readonly acks = new Map<string, number>();
  private readonly seen = new Set<string>();
  /** messages that came before this process had handled the acknowledgement (same event-loop turn) */
  private readonly early = new Map<string, number>();
  private readonly lag = new LatencyRecorder();

  private constructor(private readonly consumer: Consumer) {}

  static async start(brokers: string[], groupId: string, topicWaitMs = 30_000): Promise<KafkaLagProbe> {
    const kafka = new Kafka({ clientId: 'voice-push-bench', brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const deadline = performance.now() + topicWaitMs;
      while (!(await admin.listTopics()).includes(FINALIZED_TOPIC)) {
        if (performance.now() > deadline) throw new Error(`${FINALIZED_TOPIC} did not appear within ${topicWaitMs} ms`);
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      await admin.disconnect();
    }
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 20, minBytes: 1 });
    const probe = new KafkaLagProbe(consumer);
    await consumer.connect();
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.subscribe({ topic: FINALIZED_TOPIC, fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const callId = message.key?.toString();
        if (callId !== undefined) probe.onMessage(callId, performance.now());
      },
    });
    await joined;
    return probe;
  }

  private onMessage(callId: string, at: number): void {
    const ackAt = this.acks.get(callId);
    if (ackAt === undefined) {
      if (callId.startsWith('SIM') && !this.early.has(callId)) this.early.set(callId, at);
      return;
    }
    if (this.seen.has(callId)) return;
    this.seen.add(callId);
    this.lag.record(at - ackAt);
  }

  /** a call whose CDR was acknowledged at `ackAt` (performance.now()) */
  track(callId: string, ackAt: number): void {
    if (this.acks.has(callId)) return;
    this.acks.set(callId, ackAt);
    const arrived = this.early.get(callId);
    if (arrived !== undefined) this.onMessage(callId, Math.max(arrived, ackAt));
  }

  async finish(waitMs: number): Promise<KafkaLagResult> {
    const deadline = performance.now() + waitMs;
    while (this.seen.size < this.acks.size && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await this.consumer.disconnect();
    return { lagMs: this.lag.summary(), expected: this.acks.size, received: this.seen.size };
  }
}
