// The outbox relay over a real Postgres (a temporary database) and a real broker (KAFKA_BROKERS,
// default 127.0.0.1:9092, started with scripts/kafka/broker.sh). The fault test kills the broker
// with `broker.sh kill9` and starts it again: it needs the broker to be the one broker.sh manages
// under KAFKA_STATE_DIR (default /tmp/voice-push-kafka), and int tests to run in band.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { EventPublisher, KafkajsEventPublisher, type OutgoingMessage, type TopicSpec } from '#messaging';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { DataSource } from 'typeorm';
import { CALL_EVENTS_TOPIC, CALLS_FINALIZED_TOPIC } from '#contracts';
import { PostgresEventStore, eventStoreMigrations, type StoredEvent } from '#event-store';
import { appMigrations, appMigrationsBefore } from '../database/database.module.js';
import { createTempDatabase } from '../../../../libs/event-store/src/testing/temp-database.js';
import { logSettled } from '../../../../libs/event-store/src/testing/log-settled.js';
import { eventually } from '../../../../test/support/poll.js';
import {
  KafkaTestConsumer,
  assertBrokerReachable,
  deleteTopics,
  testBrokers,
  topicPartitionCount,
  uniqueTopic,
  type ConsumedMessage,
} from '../../../../libs/messaging/src/testing/kafka-test-consumer.js';
import { OutboxRelay, type OutboxRelayOptions } from './outbox-relay.js';
import { holdCallEventLog, releaseCallEventLog } from './call-event-log.js';
import { OutboxRepublisher, type RepublishJob } from '../admin/outbox/outbox-republisher.service.js';
import type { OutboxRelayService } from './outbox-relay.service.js';

const run = promisify(execFile);
const BROKER_SH = resolve(process.cwd(), 'scripts/kafka/broker.sh');
/** A fresh database with the event store's schema (the outbox table among it); `drop()` removes it. */
async function tempDatabase(): Promise<{ dataSource: DataSource; drop: () => Promise<void> }> {
  const database = await createTempDatabase();
  return { dataSource: await database.dataSource(eventStoreMigrations, { poolSize: 6 }), drop: () => database.drop() };
}

interface Row {
  topic: string;
  key: string;
  eventId: string;
  version: number;
}

/** Inserts outbox rows in one statement (one transaction), in array order (so ids increase); `padBytes` more in each value. */
async function insertRows(ds: DataSource, rows: Row[], padBytes = 0): Promise<void> {
  if (rows.length === 0) return;
  await ds.query(
    `INSERT INTO outbox (topic, key, value, headers)
     SELECT r.topic, r.key, r.value, r.headers
       FROM jsonb_to_recordset($1::jsonb) AS r(ord int, topic text, key text, value jsonb, headers jsonb)
      ORDER BY r.ord`,
    [
      JSON.stringify(
        rows.map((r, ord) => ({
          ord,
          topic: r.topic,
          key: r.key,
          value: { eventId: r.eventId, callId: r.key, version: r.version, type: 'StatusRecorded', data: padBytes ? { n: ord, pad: 'x'.repeat(padBytes) } : { n: ord } },
          headers: { 'event-id': r.eventId, 'event-type': 'StatusRecorded' },
        })),
      ),
    ],
  );
}

async function waitUntil(what: string, cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** `ds` with `afterEach` run after each of its transactions completed (one per relay iteration), which it counts. */
function observed(ds: DataSource, afterEach: (completed: number) => Promise<void> | void = () => undefined) {
  let completed = 0;
  const proxy = new Proxy(ds, {
    get(target, prop) {
      if (prop === 'transaction') {
        return async (...args: Parameters<DataSource['transaction']>) => {
          const result = await (target.transaction as (...a: unknown[]) => Promise<unknown>)(...args);
          completed += 1;
          await afterEach(completed);
          return result;
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { ds: proxy, completed: () => completed };
}

/**
 * Every expected event id arrived; duplicates only as exact copies; per key, the first arrivals
 * are in version order.
 */
function checkDelivery(consumed: ConsumedMessage[], expected: Row[]): { duplicates: number } {
  const byId = new Map<string, ConsumedMessage>();
  let duplicates = 0;
  const firstSeen: ConsumedMessage[] = [];
  for (const m of consumed) {
    const id = m.headers['event-id'];
    expect(id).toBeDefined();
    const prev = byId.get(id!);
    if (prev) {
      duplicates += 1;
      expect({ key: m.key, value: m.value, headers: m.headers, topic: m.topic }).toEqual({
        key: prev.key,
        value: prev.value,
        headers: prev.headers,
        topic: prev.topic,
      });
    } else {
      byId.set(id!, m);
      firstSeen.push(m);
    }
  }
  const missing = expected.filter((r) => !byId.has(r.eventId));
  expect(missing.length).toBe(0);
  expect(byId.size).toBe(expected.length);

  const versionsByKey = new Map<string, number[]>();
  for (const m of firstSeen) {
    const v = (JSON.parse(m.value!) as { version: number }).version;
    const k = `${m.topic}/${m.key}`;
    versionsByKey.set(k, [...(versionsByKey.get(k) ?? []), v]);
  }
  for (const [, versions] of versionsByKey) {
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
  }
  return { duplicates };
}

describe('OutboxRelay (Postgres + real broker)', () => {
  let db: Awaited<ReturnType<typeof tempDatabase>>;
  let publisher: KafkajsEventPublisher;
  let relay: OutboxRelay | undefined;
  const topics: string[] = [];
  const logs: string[] = [];
  const logger = {
    log: (m: string) => logs.push(`log ${m}`),
    warn: (m: string) => logs.push(`warn ${m}`),
    error: (m: string) => logs.push(`error ${m}`),
  };

  function newRelay(options: Partial<OutboxRelayOptions>): OutboxRelay {
    relay = new OutboxRelay(db.dataSource, publisher, { idleDelayMs: 20, maxBackoffMs: 1_000, ...options }, logger);
    return relay;
  }

  /** A relay of the app's call-event log over `ds` and a consumer of that topic from now on; both stopped after `use`. */
  async function withLogRelay(
    ds: DataSource,
    options: Partial<OutboxRelayOptions>,
    use: (r: OutboxRelay, consumer: KafkaTestConsumer) => Promise<void>,
  ): Promise<void> {
    const consumer = new KafkaTestConsumer([CALL_EVENTS_TOPIC], testBrokers(), false);
    await consumer.start();
    const r = new OutboxRelay(ds, publisher, { callEventLog: true, topics: [CALL_EVENTS_TOPIC], ...options }, logger);
    try {
      await use(r, consumer);
    } finally {
      await r.stop(1_000);
      await consumer.stop();
    }
  }

  /** A database of its own with the app's schema (the call-event log reads `calls`), dropped after `use`. */
  async function withAppDatabase(use: (ds: DataSource) => Promise<void>): Promise<void> {
    const app = await createTempDatabase();
    try {
      await use(await app.dataSource(appMigrations, { poolSize: 4 }));
    } finally {
      await app.drop();
    }
  }

  const versionsOf = (consumer: KafkaTestConsumer, key: string): number[] =>
    consumer.messages.filter((m) => m.key === key).map((m) => (JSON.parse(m.value!) as { version: number }).version);

  beforeAll(async () => {
    await assertBrokerReachable();
    db = await tempDatabase();
    publisher = new KafkajsEventPublisher({ brokers: testBrokers(), clientId: 'relay-int-test', log: () => undefined });
  });

  afterEach(async () => {
    await relay?.stop(5_000);
    relay = undefined;
    await db.dataSource.query('DELETE FROM outbox');
  });

  afterAll(async () => {
    await publisher?.disconnect();
    await db?.drop();
    if (topics.length) await deleteTopics(topics);
  });

  test('relays rows to their topics in id order per key, creates the topics, and empties the outbox', async () => {
    const events = uniqueTopic('call-events');
    const finalized = uniqueTopic('calls-finalized');
    topics.push(events, finalized);
    const keys = Array.from({ length: 10 }, () => randomUUID());
    const rows: Row[] = [];
    for (let version = 1; version <= 120; version++) {
      for (const key of keys) rows.push({ topic: events, key, eventId: randomUUID(), version });
    }
    for (const key of keys) rows.push({ topic: finalized, key, eventId: randomUUID(), version: 121 });
    // several transactions, like ingestion would write them
    for (let i = 0; i < rows.length; i += 137) await insertRows(db.dataSource, rows.slice(i, i + 137));

    const r = newRelay({ batchSize: 200, partitions: 4, topics: [events, finalized] });
    r.start();
    await waitUntil('outbox empty', async () => (await r.lag()) === 0, 30_000);
    expect(await topicPartitionCount(events)).toBe(4);
    expect(await topicPartitionCount(finalized)).toBe(4);

    const consumer = new KafkaTestConsumer([events, finalized]);
    await consumer.start();
    try {
      await consumer.waitForCount(rows.length, 30_000);
    } finally {
      await consumer.stop();
    }
    const { duplicates } = checkDelivery(consumer.messages, rows);
    expect(duplicates).toBe(0);
    const m = consumer.messages.find((x) => x.headers['event-id'] === rows[0]!.eventId)!;
    expect(m.key).toBe(rows[0]!.key);
    expect(m.headers['event-type']).toBe('StatusRecorded');
    expect(JSON.parse(m.value!)).toEqual({
      eventId: rows[0]!.eventId,
      callId: rows[0]!.key,
      version: 1,
      type: 'StatusRecorded',
      data: { n: 0 },
    });
    expect(r.stats()).toMatchObject({ published: rows.length, failures: 0, failing: false });
  }, 60_000);

  test("a batch larger than the broker takes in one request (one partition, 1,000 rows of 1.5 KB) goes out in several: nothing stalls", async () => {
    const events = uniqueTopic('call-events-large');
    topics.push(events);
    const key = randomUUID();
    const rows: Row[] = Array.from({ length: 1_000 }, (_, i) => ({ topic: events, key, eventId: randomUUID(), version: i + 1 }));
    await insertRows(db.dataSource, rows, 1_500);

    const r = newRelay({ batchSize: 1_000, partitions: 1, topics: [events] });
    r.start();
    // one request for all of them (~1.6 MB on one partition) was refused whole by the broker
    // (MESSAGE_TOO_LARGE), again on every resend: the outbox never emptied
    await waitUntil('outbox empty', async () => (await r.lag()) === 0, 30_000);
    const consumer = new KafkaTestConsumer([events]);
    await consumer.start();
    try {
      await consumer.waitForCount(rows.length, 30_000);
    } finally {
      await consumer.stop();
    }
    expect(checkDelivery(consumer.messages, rows).duplicates).toBe(0);
    expect(r.stats()).toMatchObject({ published: rows.length, failures: 0 });
    expect(r.stats().batches).toBeGreaterThan(1);
  }, 90_000);

  test('poke() relays at once instead of after the idle delay; stop() drains what is left', async () => {
    const events = uniqueTopic('call-events');
    topics.push(events);
    const iterations = observed(db.dataSource);
    const r = (relay = new OutboxRelay(iterations.ds, publisher, { idleDelayMs: 60_000, topics: [events] }, logger));
    r.start();
    await waitUntil('first empty pass', async () => iterations.completed() > 0, 10_000);
    await new Promise((res) => setTimeout(res, 300)); // now sleeping for 60 s
    const key = randomUUID();
    await insertRows(db.dataSource, [{ topic: events, key, eventId: randomUUID(), version: 1 }]);
    r.poke();
    // well inside the 60 s idle delay: only the poke can have woken the loop
    await waitUntil('poked row relayed', async () => (await r.lag()) === 0, 30_000);

    // rows written after the loop fell asleep again go out in stop()'s drain
    await new Promise((res) => setTimeout(res, 200));
    await insertRows(db.dataSource, [
      { topic: events, key, eventId: randomUUID(), version: 2 },
      { topic: events, key, eventId: randomUUID(), version: 3 },
    ]);
    await r.stop(10_000);
    relay = undefined;
    expect(await r.lag()).toBe(0);
    expect(r.stats().published).toBe(3);
  }, 30_000);

  test('a poke that comes while an iteration runs is kept for the pause after it', async () => {
    const events = uniqueTopic('call-events');
    topics.push(events);
    const key = randomUUID();
    // right after the first (empty) iteration's transaction, before the loop sleeps: a writer commits and pokes
    const racing = observed(db.dataSource, async (completed) => {
      if (completed !== 1) return;
      await insertRows(db.dataSource, [{ topic: events, key, eventId: randomUUID(), version: 1 }]);
      relay!.poke();
    });
    relay = new OutboxRelay(racing.ds, publisher, { idleDelayMs: 60_000, topics: [events] }, logger);
    relay.start();
    // well inside the 60 s idle sleep the lost poke would leave it in
    await waitUntil('row poked mid-iteration relayed', async () => (await relay!.lag()) === 0 && racing.completed() > 1, 10_000);
    expect(relay.stats().published).toBe(1);
  }, 30_000);

  test('stop() keeps to its deadline while a publish does not return: it gives up the publish, rolls back, frees its connection', async () => {
    const events = uniqueTopic('call-events');
    topics.push(events);
    let publishing = false;
    let kafkaAnswers: () => void = () => undefined;
    // The real publisher, held before it sends: a broker that stops answering cannot be played
    // through a proxy here, kafkajs going to the address the broker advertises after the bootstrap.
    const silentKafka = new (class extends EventPublisher {
      connect = () => publisher.connect();
      ensureTopics = (t: readonly TopicSpec[]) => publisher.ensureTopics(t);
      isHealthy = () => publisher.isHealthy();
      disconnect = async () => undefined;
      publish = async (messages: readonly OutgoingMessage[]) => {
        publishing = true;
        await new Promise<void>((resolve) => (kafkaAnswers = resolve));
        return publisher.publish(messages);
      };
    })();
    relay = new OutboxRelay(db.dataSource, silentKafka, { topics: [events] }, logger);
    await insertRows(db.dataSource, [{ topic: events, key: randomUUID(), eventId: randomUUID(), version: 1 }]);
    relay.start();
    await waitUntil('a publish waiting for Kafka', async () => publishing, 10_000);
    // before: stop() waited for the loop, so for Kafka, however long that took
    await relay.stop(300);
    expect(logs.some((l) => l.startsWith('warn') && l.includes('drain deadline'))).toBe(true);
    // its transaction rolled back: no session left idle in it, so the pool could close
    const idleInTransaction = async () =>
      ((await db.dataSource.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
      )) as { n: number }[])[0]!.n;
    await waitUntil('the stuck iteration rolled back', async () => (await idleInTransaction()) === 0, 10_000);
    kafkaAnswers();
    expect(await relay.lag()).toBe(1); // nothing lost: the row waits in Postgres ...
    relay = newRelay({ topics: [events] });
    relay.start();
    await waitUntil('... and goes out after the next start', async () => (await relay!.lag()) === 0, 10_000);
  }, 30_000);

  test('an idle relay polls less and less often, up to maxIdleDelayMs', async () => {
    const events = uniqueTopic('call-events');
    topics.push(events);
    // the real DataSource, with its transactions (one per iteration) counted
    const iterations = observed(db.dataSource);
    relay = new OutboxRelay(iterations.ds, publisher, { idleDelayMs: 20, maxIdleDelayMs: 400, topics: [events] }, logger);
    relay.start();
    await waitUntil('first empty pass', async () => iterations.completed() > 0 && (await relay!.lag()) === 0, 10_000);
    const before = iterations.completed();
    await new Promise((res) => setTimeout(res, 2_000));
    // every 20 ms would be 100 iterations; sleeping 20, 40, 80 … 400 ms is about 9
    expect(iterations.completed() - before).toBeLessThanOrEqual(15);
    expect(iterations.completed() - before).toBeGreaterThan(0); // still polling
    // and it still relays what comes
    await insertRows(db.dataSource, [{ topic: events, key: randomUUID(), eventId: randomUUID(), version: 1 }]);
    await waitUntil('row relayed', async () => (await relay!.lag()) === 0, 10_000);
  }, 30_000);

  test('callEventLog: the events after the checkpoint go out too, and stop() drains the log as well as the outbox', async () => {
    await withAppDatabase(async (ds) => {
      const iterations = observed(ds);
      await withLogRelay(iterations.ds, { idleDelayMs: 60_000 }, async (r, consumer) => {
        r.start();
        await waitUntil('first empty pass', async () => iterations.completed() > 0, 10_000);
        await new Promise((res) => setTimeout(res, 300)); // now sleeping for 60 s
        const call = `call-${randomUUID()}`;
        const at = new Date('2025-03-01T10:00:00Z');
        const stored = await new PostgresEventStore(ds).append({
          streamId: call,
          expectedVersion: 0,
          events: [1, 2, 3].map((n) => ({ type: 'StatusRecorded', data: { n }, metadata: {}, occurredAt: at })),
        });
        expect(await r.lag()).toBe(3);
        await r.stop(10_000); // not poked: only the drain can send them
        expect(await r.lag()).toBe(0);
        expect(r.stats().published).toBe(3);
        await consumer.waitFor(() => consumer.messages.filter((m) => m.key === call).length >= 3, 30_000);
        const got = consumer.messages.filter((m) => m.key === call);
        expect(got.map((m) => m.headers['event-id'])).toEqual(stored.map((e) => e.eventId));
        expect(versionsOf(consumer, call)).toEqual([1, 2, 3]);
      });
    });
  }, 60_000);

  test('during the upgrade to the log relay: a call\'s events still in the outbox reach Kafka before its later ones from the log', async () => {
    const app = await createTempDatabase();
    try {
      // the version before: call events as outbox rows, and no checkpoint yet
      const before = await app.dataSource(appMigrationsBefore('CreateRelayCheckpoints1764000500000'));
      const call = `call-${randomUUID()}`;
      const at = new Date('2025-03-01T10:00:00Z');
      const event = (n: number) => ({ type: 'StatusRecorded', data: { n }, metadata: {}, occurredAt: at });
      const asOutboxRows = (stored: StoredEvent[]) =>
        stored.map((e) => ({ topic: CALL_EVENTS_TOPIC, key: call, value: { eventId: e.eventId, version: e.version }, headers: { 'event-id': e.eventId } }));
      await new PostgresEventStore(before).append({ streamId: call, expectedVersion: 0, events: [event(1), event(2)], outbox: asOutboxRows });
      const ds = await app.dataSource(appMigrations, { poolSize: 4 }); // the checkpoint starts after v2
      await new PostgresEventStore(ds).append({ streamId: call, expectedVersion: 2, events: [event(3)] });

      await withLogRelay(ds, { batchSize: 1, idleDelayMs: 20 }, async (r, consumer) => {
        r.start();
        await consumer.waitFor((messages) => messages.filter((m) => m.key === call).length >= 3, 30_000);
        expect(versionsOf(consumer, call)).toEqual([1, 2, 3]);
      });
    } finally {
      await app.drop();
    }
  }, 60_000);

  test("a backlog of finalised views (after a Kafka outage) does not hold the log's live events back; a republish's call events do", async () => {
    await withAppDatabase(async (ds) => {
      const backlog = (topic: string, key: string) =>
        ds.query(
          `INSERT INTO outbox (position, topic, key, value, headers)
           SELECT CASE WHEN $1 = '${CALL_EVENTS_TOPIC}' THEN g END, $1, $2, jsonb_build_object('version', g), '{}' FROM generate_series(1, 8) g`,
          [topic, key],
        );
      const liveEvent = async (call = `call-${randomUUID()}`) => {
        const at = new Date('2025-03-01T10:00:00Z');
        const [stored] = await new PostgresEventStore(ds).append({
          streamId: call,
          expectedVersion: 0,
          events: [{ type: 'StatusRecorded', data: {}, metadata: {}, occurredAt: at }],
        });
        return { call, eventId: stored!.eventId };
      };

      // views waiting (two batches' worth): the batch is shared, half the rows and the live event
      const views = `views-${randomUUID()}`;
      await backlog(CALLS_FINALIZED_TOPIC, views);
      const { call: live } = await liveEvent();
      await withLogRelay(ds, { batchSize: 4, topics: [CALL_EVENTS_TOPIC, CALLS_FINALIZED_TOPIC] }, async (r, consumer) => {
        expect(await r.relayOnce()).toMatchObject({ kind: 'relayed', count: 3, full: true });
        await consumer.waitFor((messages) => messages.some((m) => m.key === live), 30_000);
        expect(await ds.query(`SELECT count(*)::int AS n FROM outbox`)).toEqual([{ n: 6 }]);
      });
      await ds.query(`DELETE FROM outbox`);

      // a republish's call events waiting: the log's events go after them (per-call order)
      const republished = `republished-${randomUUID()}`;
      await backlog(CALL_EVENTS_TOPIC, republished);
      const later = await liveEvent(republished); // the same call: one partition, one order
      await withLogRelay(ds, { batchSize: 4 }, async (r, consumer) => {
        expect(await r.relayOnce()).toMatchObject({ kind: 'relayed', count: 4, full: true });
        expect(await r.relayOnce()).toMatchObject({ kind: 'relayed', count: 4, full: true });
        expect(await r.relayOnce()).toMatchObject({ kind: 'relayed', count: 1 }); // now the log
        await consumer.waitFor((messages) => messages.filter((m) => m.key === republished).length >= 9, 30_000);
        const ofCall = consumer.messages.filter((m) => m.key === republished);
        expect(ofCall.map((m) => m.headers['event-id'] ?? null)).toEqual([...Array(8).fill(null), later.eventId]);
      });
    });
  }, 60_000);

  test("during a republish the relay empties the outbox between the job's batches, and a live event of a call still waits for the call's republished history", async () => {
    await withAppDatabase(async (ds) => {
      const store = new PostgresEventStore(ds);
      const append = async (call: string, version: number) => {
        const at = new Date('2025-03-01T10:00:00Z');
        const [stored] = await store.append({ streamId: call, expectedVersion: version - 1, events: [{ type: 'StatusRecorded', data: {}, metadata: {}, occurredAt: at }] });
        return stored!;
      };
      // in commit order: another call's two events, then the call's two; all relayed long ago
      const other = `other-${randomUUID()}`;
      const call = `call-${randomUUID()}`;
      await append(other, 1);
      await append(other, 2);
      await append(call, 1);
      await append(call, 2);
      await logSettled(ds);
      await new OutboxRelay(ds, publisher, { callEventLog: true, topics: [CALL_EVENTS_TOPIC] }).relayOnce();
      expect(await ds.query(`SELECT count(*)::int AS n FROM outbox`)).toEqual([{ n: 0 }]);

      await withLogRelay(ds, { batchSize: 100 }, async (r, consumer) => {
        // one event a batch, and room for one row: the job waits for the relay after each
        const republisher = new OutboxRepublisher(ds, { poke: () => undefined } as unknown as OutboxRelayService);
        republisher.batchSize = 1;
        republisher.outboxRoom = 1;
        const done = new Promise<RepublishJob>((finished) => void republisher.start('0', finished));
        expect(await eventually(() => republisher.jobs.running()?.waitingForRelay === true, 10_000, 20)).toBe(true);
        expect(republisher.jobs.running()).toMatchObject({ enqueued: 1, holdingLiveCallEvents: true }); // the other call's first event

        const live = await append(call, 3); // the call goes on while the job has yet to reach it
        await logSettled(ds);
        expect(await r.relayOnce()).toMatchObject({ kind: 'relayed', count: 1 }); // the job's row; not the live event
        while (republisher.jobs.running()) {
          await r.relayOnce(); // the outbox is empty after each: the log would come next, but it is held
          await new Promise((pause) => setTimeout(pause, 20));
        }
        expect(await done).toMatchObject({ status: 'succeeded', events: 4, holdingLiveCallEvents: false }); // the live one came after its snapshot
        while ((await r.relayOnce()).kind === 'relayed' && (await r.lag()) > 0);

        await consumer.waitFor(() => versionsOf(consumer, call).length >= 3, 30_000);
        expect(versionsOf(consumer, call)).toEqual([1, 2, 3]); // its history again, then the live event
        const ofCall = consumer.messages.filter((m) => m.key === call);
        expect(ofCall.at(-1)!.headers['event-id']).toBe(live.eventId);
        expect(await ds.query(`SELECT count(*)::int AS n FROM relay_holds`)).toEqual([{ n: 0 }]);
      });
    });
  }, 60_000);

  test('while the log is held and the outbox is empty, an iteration says so (the relay then pauses, not at every commit); released, the log goes out', async () => {
    await withAppDatabase(async (ds) => {
      const sql = { query: (text: string, params?: unknown[]) => ds.query(text, params) };
      await withLogRelay(ds, {}, async (r) => {
        await r.relayOnce(); // topics and checkpoint
        await holdCallEventLog(sql, 'a republish', 60_000);
        const call = `call-${randomUUID()}`;
        await new PostgresEventStore(ds).append({
          streamId: call,
          expectedVersion: 0,
          events: [{ type: 'StatusRecorded', data: {}, metadata: {}, occurredAt: new Date() }],
        });
        await logSettled(ds);
        expect(await r.relayOnce()).toEqual({ kind: 'held' });
        await releaseCallEventLog(sql, 'a republish');
        expect(await r.relayOnce()).toMatchObject({ kind: 'relayed', count: 1 });
      });
    });
  }, 60_000);

  test('the broker killed -9 while rows keep coming: after its restart every row arrives, the outbox empties', async () => {
    try {
      await run('bash', [BROKER_SH, 'status']);
    } catch {
      throw new Error(
        `this test restarts the broker with ${BROKER_SH}; it found no broker it manages under ` +
          `KAFKA_STATE_DIR=${process.env.KAFKA_STATE_DIR ?? '/tmp/voice-push-kafka'}`,
      );
    }
    const events = uniqueTopic('call-events');
    const finalized = uniqueTopic('calls-finalized');
    topics.push(events, finalized);
    const r = newRelay({ batchSize: 100, maxBackoffMs: 500, topics: [events, finalized] });
    r.start();
    await waitUntil('topics', async () => (await topicPartitionCount(events)) === 3, 10_000);

    const keys = Array.from({ length: 12 }, () => randomUUID());
    const versions = new Map(keys.map((k) => [k, 0]));
    const expected: Row[] = [];
    let writing = true;
    const writer = (async () => {
      let i = 0;
      while (writing) {
        const rows: Row[] = [];
        for (const key of keys.slice(i % 3 === 0 ? 0 : 6, i % 3 === 0 ? 12 : 12 - (i % 2) * 3)) {
          const version = versions.get(key)! + 1;
          versions.set(key, version);
          rows.push({ topic: i % 10 === 9 ? finalized : events, key, eventId: randomUUID(), version });
        }
        await insertRows(db.dataSource, rows);
        expected.push(...rows);
        r.poke();
        i += 1;
        await new Promise((res) => setTimeout(res, 15));
      }
    })();

    const env = { ...process.env };
    await new Promise((res) => setTimeout(res, 1_500));
    const sentBeforeKill = r.stats().published;
    await run('bash', [BROKER_SH, 'kill9'], { env });
    await new Promise((res) => setTimeout(res, 2_000)); // broker away, rows keep coming
    const failuresWhileDown = r.stats().failures;
    try {
      await run('bash', [BROKER_SH, 'start'], { env, timeout: 60_000 });
    } catch (error) {
      writing = false; // the writer must not outlive the test's database
      throw error;
    }
    await new Promise((res) => setTimeout(res, 1_500)); // and after the restart
    writing = false;
    await writer;

    await waitUntil('outbox empty after the restart', async () => (await r.lag()) === 0, 40_000);
    expect(sentBeforeKill).toBeGreaterThan(0);
    expect(failuresWhileDown).toBeGreaterThan(0);
    expect(r.stats().failing).toBe(false);
    expect(logs.some((l) => l.startsWith('warn outbox relay cannot relay'))).toBe(true);
    expect(logs.some((l) => l.startsWith('log outbox relay recovered'))).toBe(true);
    // logged once per outage, not per try
    expect(logs.filter((l) => l.startsWith('warn outbox relay cannot relay')).length).toBeLessThan(
      r.stats().failures,
    );

    const consumer = new KafkaTestConsumer([events, finalized]);
    await consumer.start();
    const ids = new Set(expected.map((e) => e.eventId));
    try {
      await consumer.waitFor((ms) => {
        const seen = new Set<string>();
        for (const m of ms) if (ids.has(m.headers['event-id']!)) seen.add(m.headers['event-id']!);
        return seen.size === ids.size;
      }, 30_000);
    } finally {
      await consumer.stop();
    }
    const { duplicates } = checkDelivery(consumer.messages, expected);
    console.info(
      `fault test: ${expected.length} rows, ${consumer.messages.length} consumed (${duplicates} duplicates), ` +
        `${r.stats().failures} failed tries`,
    );
  }, 90_000);
});
