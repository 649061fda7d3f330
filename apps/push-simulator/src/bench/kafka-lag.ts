/**
 * Acknowledgement → Kafka lag: a consumer (fresh group) on voice.calls.finalized.v1 notes when
 * the first finalised view of each tracked call arrives. The consumer runs on a worker thread
 * (kafka-lag.worker.ts) so that it does not slow the load generator's own event loop; this side
 * only hands acknowledgements over, in batches. Bench-only: the service itself reaches Kafka
 * through the EventPublisher port, never through these files.
 */
import { Worker } from 'node:worker_threads';
import type { KafkaLagResult } from './kafka-lag-matcher.js';
import type { KafkaLagWorkerData, ToKafkaLagWorker } from './kafka-lag.worker.js';

export type { KafkaLagResult } from './kafka-lag-matcher.js';

type FromWorker = { type: 'ready' } | { type: 'error'; message: string } | { type: 'result'; result: KafkaLagResult };

const HAND_OVER_EVERY_MS = 50;

export class KafkaLagProbe {
  private pending: [string, number][] = [];
  private timer: NodeJS.Timeout | undefined;

  private constructor(private readonly worker: Worker) {}

  static async start(brokers: string[], groupId: string, topicWaitMs = 30_000): Promise<KafkaLagProbe> {
    const data: KafkaLagWorkerData = { brokers, groupId, topicWaitMs };
    const worker = new Worker(new URL('./kafka-lag.worker.js', import.meta.url), { workerData: data });
    try {
      await next(worker, 'ready');
    } catch (error) {
      await worker.terminate();
      throw error;
    }
    return new KafkaLagProbe(worker);
  }

  /** a call whose CDR was acknowledged at `ackAt` (this thread's performance.now()) */
  track(callId: string, ackAt: number): void {
    this.pending.push([callId, performance.timeOrigin + ackAt]);
    this.timer ??= setTimeout(() => this.handOver(), HAND_OVER_EVERY_MS);
  }

  async finish(waitMs: number): Promise<KafkaLagResult> {
    this.handOver();
    const result = next(this.worker, 'result');
    this.post({ type: 'finish', waitMs });
    try {
      return ((await result) as Extract<FromWorker, { type: 'result' }>).result;
    } finally {
      await this.worker.terminate();
    }
  }

  private handOver(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    this.post({ type: 'acks', acks: this.pending });
    this.pending = [];
  }

  private post(message: ToKafkaLagWorker): void {
    this.worker.postMessage(message);
  }
}

/** The worker's next message of `type`; its error message or its exit rejects. */
function next(worker: Worker, type: FromWorker['type']): Promise<FromWorker> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromWorker) => {
      if (message.type === type) done(() => resolve(message));
      else if (message.type === 'error') done(() => reject(new Error(`Kafka lag probe: ${message.message}`)));
    };
    const onExit = (code: number) => done(() => reject(new Error(`Kafka lag probe: worker exited (${code})`)));
    const done = (settle: () => void) => {
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      settle();
    };
    worker.on('message', onMessage);
    worker.on('exit', onExit);
  });
}
