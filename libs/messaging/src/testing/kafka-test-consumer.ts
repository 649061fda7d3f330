// Test helpers over a real broker (KAFKA_BROKERS, default 127.0.0.1:9092). Test code only.
import kafkajs from 'kafkajs';
import type { Consumer, ISocketFactory, Kafka as KafkaClient } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { parseBrokers } from '../kafkajs-event-publisher.js';

const { Kafka, logLevel } = kafkajs;

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

export function testBrokers(): string[] {
  return parseBrokers(process.env.KAFKA_BROKERS);
}

/**
 * "host:port" → "host:port": where to connect instead of an address the cluster advertises (e.g. a
 * broker that advertises a fault proxy's port, read by a test that must not go through the proxy).
 */
export type BrokerRedirects = Record<string, string>;

function redirectingSocketFactory(redirects: BrokerRedirects): ISocketFactory {
  return ({ host, port, onConnect }) => {
    const target = redirects[`${host}:${port}`];
    const [toHost, toPort] = target ? [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))] : [host, port];
    const socket = net.connect({ host: toHost, port: toPort }, onConnect);
    socket.setKeepAlive(true, 60_000);
    return socket;
  };
}

function client(brokers: string[], redirects?: BrokerRedirects): KafkaClient {
  return new Kafka({
    clientId: `voice-push-test-${process.pid}`,
    brokers,
    connectionTimeout: 1_000,
    logLevel: logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 },
    ...(redirects ? { socketFactory: redirectingSocketFactory(redirects) } : {}),
  });
}

/** Throws a readable error when no broker answers, instead of a test timing out. */
export async function assertBrokerReachable(brokers = testBrokers(), timeoutMs = 5_000): Promise<void> {
  const admin = client(brokers).admin();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        await admin.connect();
        await admin.describeCluster();
      })(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), timeoutMs))),
    ]);
  } catch (error) {
    throw new Error(
      `No Kafka broker answered at ${brokers.join(',')} (KAFKA_BROKERS): ${(error as Error).message}. ` +
        'Start one with `scripts/kafka/broker.sh start` (the project test runner does this before jest).',
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}

/** A unique topic name for one test, e.g. `test.ab12cd34.call-events`. */
export function uniqueTopic(suffix: string): string {
  return `test.${randomUUID().slice(0, 8)}.${suffix}`;
}

export async function deleteTopics(topics: string[], brokers = testBrokers()): Promise<void> {
  const admin = client(brokers).admin();
  try {
    await admin.connect();
    await admin.deleteTopics({ topics, timeout: 10_000 });
  } catch {
    // best effort clean-up
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Reads the given topics from the beginning with a fresh consumer group and collects everything.
 * Call `waitFor` to wait for a condition over what has arrived, `stop` at the end.
 */
export class KafkaTestConsumer {
  readonly messages: ConsumedMessage[] = [];
  private consumer: Consumer | undefined;
  private listeners: Array<() => void> = [];

  constructor(
    private readonly topics: string[],
    private readonly brokers = testBrokers(),
    /** false: only what is produced after start() resolves (shared topics with history) */
    private readonly fromBeginning = true,
    /** addresses the cluster advertises → where this consumer connects instead (plaintext only) */
    private readonly redirects?: BrokerRedirects,
  ) {}

  async start(): Promise<void> {
    const consumer = client(this.brokers, this.redirects).consumer({
      groupId: `test-${randomUUID()}`,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 100,
    });
    this.consumer = consumer;
    // Where each partition ends now: with fromBeginning false the consumer starts there, so it
    // misses nothing produced after start() and reads no older history.
    const ends = this.fromBeginning ? [] : await endOffsets(this.topics, this.brokers, this.redirects);
    await consumer.connect();
    await consumer.subscribe({ topics: this.topics, fromBeginning: true });
    // Resolve only once partitions are assigned, so nothing produced after start() is missed.
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) {
          if (v !== undefined) headers[k] = Array.isArray(v) ? v.map(String).join(',') : v.toString();
        }
        this.messages.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? null,
          headers,
        });
        for (const l of this.listeners) l();
      },
    });
    await joined;
    for (const end of ends) consumer.seek(end);
  }

  /** Resolves once `predicate(messages)` holds; rejects after `timeoutMs`. */
  waitFor(predicate: (messages: ConsumedMessage[]) => boolean, timeoutMs = 20_000): Promise<void> {
    if (predicate(this.messages)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (predicate(this.messages)) {
          done();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms with ${this.messages.length} messages consumed`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
      };
      this.listeners.push(check);
    });
  }

  /** Resolves once at least `n` messages arrived. */
  waitForCount(n: number, timeoutMs?: number): Promise<void> {
    return this.waitFor((m) => m.length >= n, timeoutMs);
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
  }
}

async function endOffsets(
  topics: string[],
  brokers: string[],
  redirects?: BrokerRedirects,
): Promise<{ topic: string; partition: number; offset: string }[]> {
  const admin = client(brokers, redirects).admin();
  await admin.connect();
  try {
    const all = await Promise.all(
      topics.map(async (topic) =>
        (await admin.fetchTopicOffsets(topic)).map((p) => ({ topic, partition: p.partition, offset: p.high })),
      ),
    );
    return all.flat();
  } finally {
    await admin.disconnect();
  }
}

/** Partition count of a topic, or undefined when it does not exist. */
export async function topicPartitionCount(topic: string, brokers = testBrokers(), redirects?: BrokerRedirects): Promise<number | undefined> {
  const admin = client(brokers, redirects).admin();
  try {
    await admin.connect();
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) return undefined;
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    return meta.topics[0]?.partitions.length;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
