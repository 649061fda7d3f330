/**
 * The Kafka side of the lag probe, on its own thread: decoding the finalised views is real work,
 * and on the load generator's event loop it delayed the reading of HTTP answers, which the
 * generator then counted as voice-push's latency (half-rate p50 10–12 ms with it on that loop,
 * 3.5 ms without).
 */
import { parentPort, workerData } from 'node:worker_threads';
// eslint-disable-next-line no-restricted-imports -- bench code measures the broker from outside; the service keeps kafkajs behind libs/messaging
import kafkajs from 'kafkajs';
import { CALLS_FINALIZED_TOPIC as FINALIZED_TOPIC } from '#contracts';
import { KafkaLagMatcher } from './kafka-lag-matcher.js';

const { Kafka, logLevel } = kafkajs;

export interface KafkaLagWorkerData {
  brokers: string[];
  groupId: string;
  topicWaitMs: number;
}
/** main → worker */
export type ToKafkaLagWorker = { type: 'acks'; acks: [callId: string, ackAt: number][] } | { type: 'finish'; waitMs: number };

const now = () => performance.timeOrigin + performance.now();

async function main(): Promise<void> {
  const { brokers, groupId, topicWaitMs } = workerData as KafkaLagWorkerData;
  const matcher = new KafkaLagMatcher();
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
  await consumer.connect();
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.subscribe({ topic: FINALIZED_TOPIC, fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const callId = message.key?.toString();
      if (callId !== undefined) matcher.onMessage(callId, now());
    },
  });
  await joined;

  parentPort!.on('message', async (message: ToKafkaLagWorker) => {
    if (message.type === 'acks') {
      for (const [callId, ackAt] of message.acks) matcher.track(callId, ackAt);
      return;
    }
    const deadline = performance.now() + message.waitMs;
    while (!matcher.complete && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await consumer.disconnect();
    parentPort!.postMessage({ type: 'result', result: matcher.result() });
  });
  parentPort!.postMessage({ type: 'ready' });
}

main().catch((error: unknown) => parentPort!.postMessage({ type: 'error', message: (error as Error).message }));
