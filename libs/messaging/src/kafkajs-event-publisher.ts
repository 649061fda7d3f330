// The Kafka adapter of EventPublisher. The only production file that imports kafkajs.
//
// - idempotent producer, acks=all, one request in flight: the broker dedupes kafkajs' own retries
//   within a producer session and keeps per-partition order;
// - few kafkajs retries: when the broker is away, publish() fails fast and the caller (the outbox
//   relay) backs off and sends the same rows again;
// - a publish waits one request timeout at most (and a margin), not kafkajs' every retry of it;
// - after any failed publish the producer is thrown away and a new one (new producer id) is made
//   for the next call. Re-sending a batch with the old producer's sequence numbers after a failure
//   whose outcome is unknown could make the broker take a *different* batch for a duplicate and
//   drop it; a fresh producer id makes the resend a plain at-least-once duplicate instead;
// - a publish is one produce request: the caller keeps it under MAX_PUBLISH_BYTES (publish-size.ts),
//   as the relay sizes its batches, for the broker refuses a partition's batch over its limit whole;
// - kafkajs logs go to the log function given to the constructor, nothing to the console.
import kafkajs from 'kafkajs';
import type { Admin, CompressionTypes as CompressionType, Kafka as KafkaClient, Message, Producer, logCreator as KafkaLogCreator } from 'kafkajs';
import {
  EventPublisher,
  type OutgoingMessage,
  type PublisherLogFn,
  type TopicSpec,
} from './event-publisher.port.js';

const { Kafka, CompressionTypes, logLevel: KafkaLogLevel, Partitioners } = kafkajs;

export interface KafkajsEventPublisherOptions {
  brokers: string[];
  clientId?: string;
  /** where kafkajs' logs go; default: nowhere */
  log?: PublisherLogFn;
  /** the most verbose kafkajs level passed to `log`; default 'warn' */
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** TCP connect timeout per attempt, ms; default 1000 */
  connectionTimeoutMs?: number;
  /** client-side request timeout, ms; default 15000 */
  requestTimeoutMs?: number;
  /** broker-side wait for the in-sync replicas' acks, ms; default 10000 */
  ackTimeoutMs?: number;
  /** kafkajs-level retries of one call (connect, metadata, produce); default 2 */
  retries?: number;
  /** isHealthy() gives up after this long, ms; default 3000 */
  healthTimeoutMs?: number;
  /**
   * How batches are compressed on the wire; default 'none': gzip costs the service's own CPU
   * (about 4% of it under load here), so it pays only where the link to the brokers is the
   * bottleneck. A topic's `compression.type` can still compress at rest on the broker.
   */
  compression?: KafkaCompression;
}

/** The compressions the publisher offers (and the service's KAFKA_COMPRESSION accepts). */
export const KAFKA_COMPRESSIONS = ['none', 'gzip'] as const;
export type KafkaCompression = (typeof KAFKA_COMPRESSIONS)[number];

/** `KAFKA_BROKERS`-style list: "host:port,host:port". */
export function parseBrokers(value: string | undefined, fallback = '127.0.0.1:9092'): string[] {
  return (value && value.trim() !== '' ? value : fallback)
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
}

const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
/** room for kafkajs' retries of quick failures (200 ms, then up to 2 s apart) inside one publish */
const PUBLISH_RETRY_MARGIN_MS = 3_000;
const publishDeadline = (requestTimeoutMs: number) => requestTimeoutMs + PUBLISH_RETRY_MARGIN_MS;
/** The longest a publish waits with the default request timeout (see `publishDeadlineMs`). */
export const DEFAULT_PUBLISH_DEADLINE_MS = publishDeadline(DEFAULT_REQUEST_TIMEOUT_MS);

// kafkajs warns about this every time an idempotent producer is made with bounded retries. Bounded
// retries are deliberate here (see the header comment), and the producer is remade after each
// failure, so the warning would repeat on every outage.
const EXPECTED_WARNINGS = ['Limiting retries for the idempotent producer'];

export class KafkajsEventPublisher extends EventPublisher {
  private readonly kafka: KafkaClient;
  private readonly log: PublisherLogFn;
  private producer: Producer | undefined;
  private producerConnecting: Promise<Producer> | undefined;
  private admin: Admin | undefined;
  private readonly ackTimeoutMs: number;
  private readonly healthTimeoutMs: number;
  /**
   * The longest a publish waits, connecting included: one request timeout and a margin for kafkajs'
   * quick retries. kafkajs retries a request that timed out on the same connection, so on one that
   * went silent for good (a dropped NAT entry; no reset comes) every retry waited the whole timeout
   * again: 45 s for its three tries, measured. Past this, the producer and its connections go (as
   * after any failure), and the relay's next try connects afresh. The relay publishes inside its
   * Postgres transaction, so this also bounds how long that transaction idles (the service's pool
   * has Postgres end a session idle in a transaction for longer than that).
   */
  private readonly publishDeadlineMs: number;
  private readonly retries: number;
  private readonly compression: CompressionType;

  constructor(options: KafkajsEventPublisherOptions) {
    super();
    this.log = options.log ?? (() => undefined);
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.healthTimeoutMs = options.healthTimeoutMs ?? 3_000;
    this.publishDeadlineMs = publishDeadline(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
    this.retries = options.retries ?? 2;
    this.compression = options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
    const log = this.log;
    const levelNames: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
      [KafkaLogLevel.ERROR]: 'error',
      [KafkaLogLevel.WARN]: 'warn',
      [KafkaLogLevel.INFO]: 'info',
      [KafkaLogLevel.DEBUG]: 'debug',
    };
    const logCreator: KafkaLogCreator =
      () =>
      ({ namespace, level, log: entry }) => {
        const { message, timestamp: _timestamp, logger: _logger, ...extra } = entry;
        if (level === KafkaLogLevel.WARN && EXPECTED_WARNINGS.some((w) => String(message).includes(w))) {
          return;
        }
        log(levelNames[level] ?? 'debug', `kafkajs ${namespace}: ${String(message)}`, extra);
      };
    const minLevel = {
      error: KafkaLogLevel.ERROR,
      warn: KafkaLogLevel.WARN,
      info: KafkaLogLevel.INFO,
      debug: KafkaLogLevel.DEBUG,
    }[options.logLevel ?? 'warn'];
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'voice-push',
      brokers: options.brokers,
      connectionTimeout: options.connectionTimeoutMs ?? 1_000,
      requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      enforceRequestTimeout: true,
      retry: { retries: this.retries, initialRetryTime: 200, maxRetryTime: 2_000, factor: 0.2, multiplier: 2 },
      logLevel: minLevel,
      logCreator,
    });
  }

  override async connect(): Promise<void> {
    await this.getProducer();
  }

  override async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    // Group by topic, keeping the call's order inside each topic (and so inside each key).
    const byTopic = new Map<string, Message[]>();
    for (const m of messages) {
      let list = byTopic.get(m.topic);
      if (!list) byTopic.set(m.topic, (list = []));
      list.push({ key: m.key, value: m.value, headers: m.headers });
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const sent = this.getProducer().then((producer) =>
        producer.sendBatch({
          topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })),
          acks: -1,
          timeout: this.ackTimeoutMs,
          compression: this.compression,
        }),
      );
      await withTimeout(sent, this.publishDeadlineMs, (t) => (timer = t), 'publish: Kafka did not acknowledge the batch');
    } catch (error) {
      // Not awaited: the relay's transaction is open until this returns, and kafkajs' disconnect
      // waits for the request that got no answer (up to 5 s, then given up by `quietly`).
      void this.dropProducer();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  override async ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    if (topics.length === 0) return;
    try {
      const admin = await this.getAdmin();
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.topic));
      if (missing.length > 0) {
        await admin.createTopics({
          topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.partitions })),
          waitForLeaders: true,
          timeout: 10_000,
        });
        this.log('info', `created topics ${missing.map((t) => `${t.topic}(${t.partitions})`).join(', ')}`);
      }
      const present = topics.filter((t) => existing.has(t.topic));
      if (present.length > 0) {
        const { topics: meta } = await admin.fetchTopicMetadata({ topics: present.map((t) => t.topic) });
        for (const t of present) {
          const actual = meta.find((m) => m.name === t.topic)?.partitions.length;
          if (actual !== undefined && actual !== t.partitions) {
            // Never changed automatically: more partitions would move keys and break per-call order.
            this.log('warn', `topic ${t.topic} has ${actual} partitions, configured ${t.partitions}; left as is`);
          }
        }
      }
    } catch (error) {
      await this.dropAdmin();
      throw error;
    }
  }

  override async isHealthy(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const admin = await withTimeout(this.getAdmin(), this.healthTimeoutMs, (t) => (timer = t));
      clearTimeout(timer);
      const cluster = await withTimeout(admin.describeCluster(), this.healthTimeoutMs, (t) => (timer = t));
      return cluster.brokers.length > 0;
    } catch {
      await this.dropAdmin();
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  override async disconnect(): Promise<void> {
    await Promise.all([this.dropProducer(), this.dropAdmin()]);
  }

  private async getProducer(): Promise<Producer> {
    if (this.producer) return this.producer;
    if (!this.producerConnecting) {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        // bounded on purpose; idempotence still dedupes kafkajs' own retries within this producer
        retry: { retries: Math.max(1, this.retries), initialRetryTime: 200, maxRetryTime: 2_000 },
        allowAutoTopicCreation: false,
        // Java-compatible murmur2: the same key lands on the same partition as with Java producers
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      this.producerConnecting = producer
        .connect()
        .then(() => {
          this.producer = producer;
          return producer;
        })
        .catch(async (error: unknown) => {
          await producer.disconnect().catch(() => undefined);
          throw error;
        })
        .finally(() => {
          this.producerConnecting = undefined;
        });
    }
    return this.producerConnecting;
  }

  private async dropProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    if (producer) await quietly(producer.disconnect());
  }

  private async getAdmin(): Promise<Admin> {
    if (this.admin) return this.admin;
    const admin = this.kafka.admin({ retry: { retries: this.retries, initialRetryTime: 200, maxRetryTime: 2_000 } });
    try {
      await admin.connect();
    } catch (error) {
      await quietly(admin.disconnect());
      throw error;
    }
    this.admin = admin;
    return admin;
  }

  private async dropAdmin(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await quietly(admin.disconnect());
  }
}

async function quietly(p: Promise<unknown>, timeoutMs = 5_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await withTimeout(p, timeoutMs, (t) => (timer = t));
  } catch {
    // closing a client to a dead broker may fail; nothing to do about it
  } finally {
    clearTimeout(timer);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimer: (t: NodeJS.Timeout) => void, what = 'timed out'): Promise<T> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      onTimer(setTimeout(() => reject(new Error(`${what} after ${ms} ms`)), ms));
    }),
  ]);
}
