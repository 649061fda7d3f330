// The relay's Postgres session lost inside its transaction: the relay publishes to Kafka inside a
// Postgres transaction that holds its lock (one relay at a time, across instances). If the path to
// Postgres drops while it waits for Kafka (a dropped NAT entry, a host gone: no reset reaches
// Postgres), the session stays open on the server, idle in its transaction, and keeps that lock:
// every relay, on any connection of any instance, then finds it taken. Postgres ends such a session
// after the pool's idle-in-transaction limit, and the relay goes on.
//
// Two ChaosProxies: one in front of this file's own broker (advertised as the proxy's port, as in
// kafka-network.faults-spec.ts), one in front of Postgres. The test's own consumer reads the broker
// directly.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { CALL_EVENTS_TOPIC } from '#contracts';
import { createTempDatabase, type TempDatabase } from '../../libs/event-store/src/testing/temp-database.js';
import { KafkaTestConsumer, type BrokerRedirects } from '../../libs/messaging/src/testing/kafka-test-consumer.js';
import { IDLE_IN_TRANSACTION_TIMEOUT_MS } from '../../apps/voice-push/src/database/database.module.js';
import { ChaosProxy } from '../support/chaos-proxy.js';
import { eventually, postProbePush, reportFigures, sleep } from '../support/fault-checks.js';
import { awaitContractTopics, startOwnKafkaBehindProxy, type OwnKafka } from '../support/own-kafka.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';

/** The service's sessions idle in a transaction while holding an advisory lock (the relay's). */
const RELAY_LOCK_HOLDERS = `
  SELECT a.pid
    FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
   WHERE l.locktype = 'advisory' AND l.granted AND a.state = 'idle in transaction'
     AND a.datname = current_database() AND a.application_name = 'voice-push'`;

/** Which of `pids` still have a session. */
const STILL_THERE = `SELECT pid FROM pg_stat_activity WHERE pid = ANY($1::int[])`;

describe('fault: the relay’s Postgres session silenced for good inside its transaction', () => {
  let kafka: OwnKafka;
  let kafkaProxy: ChaosProxy;
  let postgresProxy: ChaosProxy;
  let database: TempDatabase;
  let service: ServiceProcess | undefined;
  let consumer: KafkaTestConsumer | undefined;
  let redirects: BrokerRedirects;

  /** A status push of a fresh call: its answer, and its callId to look for on Kafka. */
  const push = async (): Promise<{ status: number; callId: string }> => {
    const callId = `relay-partition-${randomUUID()}`;
    const response = await postProbePush(service!.url, callId, 5_000);
    return { status: response.status, callId };
  };

  /** Whether the call's event reached the call-events topic within `timeoutMs`. */
  const onKafka = async (callId: string, timeoutMs: number): Promise<boolean> => {
    const arrived = (ms: { topic: string; key: string | null }[]) => ms.some((m) => m.topic === CALL_EVENTS_TOPIC && m.key === callId);
    await consumer!.waitFor(arrived, timeoutMs).catch(() => undefined);
    return arrived(consumer!.messages);
  };

  /** Backend pids the query returns, read directly (not through the proxy). */
  const pids = async (sql: string, params: unknown[] = []): Promise<number[]> => {
    const client = new pg.Client({ connectionString: database.url, connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      return (await client.query<{ pid: number }>(sql, params)).rows.map((r) => r.pid);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    ({ kafka, proxy: kafkaProxy, redirects } = await startOwnKafkaBehindProxy());
    database = await createTempDatabase();
    const toPostgres = await ChaosProxy.inFrontOf(database.url);
    postgresProxy = toPostgres.proxy;
    service = await startServiceProcess({ DATABASE_URL: toPostgres.url, KAFKA_BROKERS: `127.0.0.1:${kafkaProxy.port}` });
    await awaitContractTopics(kafka.brokers, redirects);
    consumer = new KafkaTestConsumer([CALL_EVENTS_TOPIC], [kafka.brokers], true, redirects);
    await consumer.start();
  }, 180_000);

  afterAll(async () => {
    kafkaProxy?.heal();
    await consumer?.stop();
    await service?.stop('SIGKILL');
    await kafkaProxy?.stop();
    await postgresProxy?.stop();
    await database?.dropOrWarn();
    await kafka?.destroy();
  }, 90_000);

  test(`Postgres ends the lost session after the ${IDLE_IN_TRANSACTION_TIMEOUT_MS / 1000} s idle-in-transaction limit, its lock with it, and the relay goes on`, async () => {
    const before = await push();
    expect(before.status).toBe(200);
    expect(await onKafka(before.callId, 20_000)).toBe(true); // the relay works

    // Kafka stops answering: the relay's next publish waits inside its transaction ...
    kafkaProxy.blackhole();
    const held = await push();
    // (waits until the relay's publish of it is in flight: its session idle in its transaction, the lock held)
    expect(await eventually(async () => (await pids(RELAY_LOCK_HOLDERS)).length > 0, 10_000, 50)).toBe(true);
    // ... and its Postgres session, lock held, goes silent for good while it waits
    postgresProxy.silenceOpen();
    kafkaProxy.heal();
    const silencedAt = Date.now();

    // Kafka answers again, the relay's next statement times out on the silent session (2 s, and 2 s
    // for the rollback), and the connection is closed on our side. On the server the session lives
    // on, idle in its transaction, with the lock.
    await sleep(6_000);
    // (the live relay, on a new connection, finds the lock taken and holds nothing)
    const lost = await pids(RELAY_LOCK_HOLDERS);
    // as a sender would: the service's other silent connections fail a push each at most (503)
    const tries: number[] = [];
    let after = await push();
    for (tries.push(after.status); after.status !== 200 && tries.length < 10; tries.push(after.status)) after = await push();
    // A bounded wait, not a speed: the limit and 20 s. Without the limit the session and its lock
    // would last until TCP keep-alive noticed, hours later, and nothing would reach Kafka meanwhile.
    const arrived = await onKafka(after.callId, IDLE_IN_TRANSACTION_TIMEOUT_MS + 20_000);
    const arrivedAfterMs = Date.now() - silencedAt;
    const heldArrived = await onKafka(held.callId, 5_000);
    // the lost session itself, not whoever holds the lock now (the live relay does, briefly, in
    // each of its publishes)
    const lostLeft = await pids(STILL_THERE, [lost]);
    reportFigures('relay session silenced inside its transaction', {
      // the push after the silence is counted once, whatever its tries
      sent: 3,
      acknowledged: [before, held, after].filter((p) => p.status === 200).length,
      lost: 0,
      duplicated: 0,
      lostSessionsHoldingTheLock6sAfter: lost.length,
      triesOfThePushAfter: tries.join(','),
      onKafkaAfterSilenceMs: arrived ? arrivedAfterMs : 'never',
      heldPushOnKafka: heldArrived,
      lostSessionsLeft: lostLeft.length,
    });
    expect(held.status).toBe(200);
    expect(after.status).toBe(200);
    expect(lost.length).toBeGreaterThan(0); // the fault happened as described: a lost session held the lock
    expect(arrived).toBe(true);
    expect(heldArrived).toBe(true);
    expect(lostLeft).toEqual([]);
  }, 180_000);
});
