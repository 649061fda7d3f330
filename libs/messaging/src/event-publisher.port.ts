// The publishing port. An abstract class so that Nest can use it as the DI token.
// Only kafkajs-event-publisher.ts knows about Kafka; everything else depends on this.

export interface OutgoingMessage {
  topic: string;
  /** partitioning key (the callId): same key → same partition → order kept */
  key: string;
  /** already serialised (JSON text) */
  value: string | Buffer;
  headers: Record<string, string>;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
}

/** A plain logging function, so that the adapter prints nothing by itself. */
export type PublisherLogFn = (
  level: 'error' | 'warn' | 'info' | 'debug',
  message: string,
  extra?: Record<string, unknown>,
) => void;

export abstract class EventPublisher {
  /** Connects the producer (and the admin client). Throws when the broker cannot be reached. */
  abstract connect(): Promise<void>;
  /**
   * Sends all messages and resolves only once the broker acknowledged every one of them with
   * acks=all. Messages of one call with the same key keep their relative order. Rejects when any
   * message was not acknowledged: the caller must then treat the whole call as not sent and send
   * it again later (some may have been written: at-least-once, consumers dedupe by event-id).
   */
  abstract publish(messages: readonly OutgoingMessage[]): Promise<void>;
  /** Creates the topics that do not exist yet. Existing topics are left as they are. */
  abstract ensureTopics(topics: readonly TopicSpec[]): Promise<void>;
  /** True when the cluster answers a metadata request in time. Never throws. */
  abstract isHealthy(): Promise<boolean>;
  abstract disconnect(): Promise<void>;
}
