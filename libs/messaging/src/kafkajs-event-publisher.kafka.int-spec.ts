// Against a real broker at KAFKA_BROKERS (default 127.0.0.1:9092): `scripts/kafka/broker.sh start`.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { KafkajsEventPublisher, type OutgoingMessage } from './index.js';
import {
  KafkaTestConsumer,
  assertBrokerReachable,
  deleteTopics,
  testBrokers,
  topicPartitionCount,
  uniqueTopic,
} from './testing/kafka-test-consumer.js';

describe('KafkajsEventPublisher (real broker)', () => {
  const logs: Array<{ level: string; message: string }> = [];
  const topicA = uniqueTopic('call-events');
  const topicB = uniqueTopic('calls-finalized');
  let publisher: KafkajsEventPublisher;

  beforeAll(async () => {
    await assertBrokerReachable();
    publisher = new KafkajsEventPublisher({
      brokers: testBrokers(),
      clientId: 'publisher-int-test',
      log: (level, message) => logs.push({ level, message }),
    });
    await publisher.connect();
  });

  afterAll(async () => {
    await publisher?.disconnect();
    await deleteTopics([topicA, topicB]);
  });

  test('ensureTopics creates missing topics with the partition count, and is idempotent', async () => {
    await publisher.ensureTopics([
      { topic: topicA, partitions: 3 },
      { topic: topicB, partitions: 2 },
    ]);
    await publisher.ensureTopics([
      { topic: topicA, partitions: 3 },
      { topic: topicB, partitions: 2 },
    ]);
    expect(await topicPartitionCount(topicA)).toBe(3);
    expect(await topicPartitionCount(topicB)).toBe(2);
  });

  test('publishes with keys and headers; per-key order is kept; what is consumed equals what was sent', async () => {
    const calls = Array.from({ length: 8 }, () => randomUUID());
    const sent: OutgoingMessage[] = [];
    for (let version = 1; version <= 25; version++) {
      for (const callId of calls) {
        const eventId = randomUUID();
        sent.push({
          topic: topicA,
          key: callId,
          value: JSON.stringify({ eventId, callId, version, type: 'StatusRecorded' }),
          headers: { 'event-id': eventId, 'event-type': 'StatusRecorded' },
        });
      }
    }
    const finalized: OutgoingMessage = {
      topic: topicB,
      key: calls[0]!,
      value: Buffer.from(JSON.stringify({ callId: calls[0], state: 'completed' })),
      headers: { 'event-id': randomUUID(), 'event-type': 'CallFinalized' },
    };
    // two calls: publish resolves after the acks, the second call comes after the first
    await publisher.publish([...sent.slice(0, 100), finalized]);
    await publisher.publish(sent.slice(100));

    const consumer = new KafkaTestConsumer([topicA, topicB]);
    await consumer.start();
    try {
      await consumer.waitForCount(sent.length + 1, 30_000);
    } finally {
      await consumer.stop();
    }
    const got = consumer.messages;
    expect(got).toHaveLength(sent.length + 1);

    const fin = got.filter((m) => m.topic === topicB);
    expect(fin).toHaveLength(1);
    expect(fin[0]!.key).toBe(calls[0]);
    expect(fin[0]!.headers).toEqual(finalized.headers);
    expect(fin[0]!.value).toBe(finalized.value.toString());

    for (const callId of calls) {
      const mine = got.filter((m) => m.topic === topicA && m.key === callId);
      expect(new Set(mine.map((m) => m.partition)).size).toBe(1); // same key, same partition
      expect(mine.map((m) => (JSON.parse(m.value!) as { version: number }).version)).toEqual(
        Array.from({ length: 25 }, (_, i) => i + 1),
      );
      const expected = sent.filter((m) => m.key === callId);
      expect(mine.map((m) => m.headers)).toEqual(expected.map((m) => m.headers));
      expect(mine.map((m) => m.value)).toEqual(expected.map((m) => m.value));
    }
    expect(new Set(got.map((m) => m.partition)).size).toBeGreaterThan(1); // keys spread over partitions
  }, 60_000);

  test('isHealthy is true with the broker', async () => {
    expect(await publisher.isHealthy()).toBe(true);
  });

  test('with no broker: isHealthy is false and publish rejects instead of hanging', async () => {
    const away = new KafkajsEventPublisher({ brokers: ['127.0.0.1:1'], log: () => undefined });
    try {
      expect(await away.isHealthy()).toBe(false);
      // a hang would show as the test's timeout, not as a resolved publish
      await expect(
        away.publish([{ topic: topicA, key: 'k', value: '{}', headers: { 'event-id': 'x' } }]),
      ).rejects.toThrow();
    } finally {
      await away.disconnect();
    }
  }, 30_000);
});
