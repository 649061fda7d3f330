// Fault: the Kafka broker is killed with kill -9 (scripts/kafka/broker.sh kill9) in the middle of
// simulated load and started again on the same data. Ingestion does not depend on Kafka (what the
// relay sends is in the push's Postgres transaction: the events, a finalised view's outbox row):
// acknowledgements go on while the broker is gone, the relay catches up once it is back, and every
// stored event's eventId arrives (none skipped), every finalised call is on
// voice.calls.finalized.v1. The broker is this file's own
// (own state dir and ports), so no other suite's broker is disturbed.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CALL_EVENTS_TOPIC, CALLS_FINALIZED_TOPIC } from '#contracts';
import { runSimulation } from '../../apps/push-simulator/src/index.js';
import { createTempDatabase, type TempDatabase } from '../../libs/event-store/src/testing/temp-database.js';
import { KafkaTestConsumer } from '../../libs/messaging/src/testing/kafka-test-consumer.js';
import { checkStore, outboxLag, PushLedger, eventually, reportFigures, sleep, storedEvents, FAULT_RUN_ANOMALIES, expectStoredExactlyOnce, storeFigures } from '../support/fault-checks.js';
import { awaitContractTopics, startOwnKafka, type OwnKafka } from '../support/own-kafka.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';

const KILL_AT_MS = 2_000;
const DOWN_FOR_MS = 3_000;

describe('fault: the Kafka broker killed -9 under load and restarted', () => {
  let kafka: OwnKafka;
  let database: TempDatabase;
  let service: ServiceProcess | undefined;
  let consumer: KafkaTestConsumer | undefined;

  beforeAll(async () => {
    kafka = await startOwnKafka();
    database = await createTempDatabase();
    service = await startServiceProcess({ DATABASE_URL: database.url, KAFKA_BROKERS: kafka.brokers });
    await awaitContractTopics(kafka.brokers);
    consumer = new KafkaTestConsumer([CALL_EVENTS_TOPIC, CALLS_FINALIZED_TOPIC], [kafka.brokers], true);
    await consumer.start();
  }, 180_000);

  afterAll(async () => {
    await consumer?.stop();
    await service?.stop('SIGKILL');
    await database?.dropOrWarn();
    await kafka?.destroy();
  }, 90_000);

  test('acknowledgements go on, the relay catches up, every stored event arrives', async () => {
    const ledger = new PushLedger();
    const simulation = runSimulation({
      url: service!.url,
      calls: 250,
      rate: 150,
      concurrency: 16,
      timeScale: 0.02,
      seed: 'faults-kafka-kill',
      anomalies: FAULT_RUN_ANOMALIES,
      drainTimeoutMs: 90_000,
      onTry: ledger.onTry,
    });
    await sleep(KILL_AT_MS);
    const killedAt = ledger.now();
    await kafka.kill9();
    await sleep(DOWN_FOR_MS);
    const lagWhileDown = await outboxLag(database.url);
    const restartAt = ledger.now();
    await kafka.start();
    const backAt = ledger.now();
    const summary = await simulation;

    const check = await checkStore(database.url, ledger.acknowledged);
    const stored = await storedEvents(database.url);
    const finalised = new Set(stored.filter((e) => e.type === 'CallFinalised').map((e) => e.stream_id));
    const wanted = new Set(stored.map((e) => e.event_id));
    const arrived = () => {
      const ids = new Set<string>();
      const keys = new Set<string>();
      for (const m of consumer!.messages) {
        if (m.topic === CALL_EVENTS_TOPIC) ids.add(m.headers['event-id'] ?? '');
        else if (m.key) keys.add(m.key);
      }
      return { ids, keys };
    };
    await consumer!
      .waitFor(() => {
        const { ids, keys } = arrived();
        return [...wanted].every((id) => ids.has(id)) && [...finalised].every((c) => keys.has(c));
      }, 90_000)
      .catch(() => undefined);
    const caughtUpAt = ledger.now();
    const { ids, keys } = arrived();
    const skipped = [...wanted].filter((id) => !ids.has(id));
    const finalisedMissing = [...finalised].filter((c) => !keys.has(c));
    const emptied = await eventually(async () => (await outboxLag(database.url)) === 0, 30_000);
    const redelivered = consumer!.messages.filter((m) => m.topic === CALL_EVENTS_TOPIC).length - ids.size;

    reportFigures('kafka kill -9', {
      ...storeFigures(summary, ledger, check),
      acksWhileBrokerDown: ledger.acksBetween(killedAt, backAt),
      outcomes: ledger.outcomes(),
      outboxLagWhileDown: lagWhileDown,
      brokerDownMs: backAt - killedAt,
      brokerStartMs: backAt - restartAt,
      caughtUpAfterBrokerBackMs: caughtUpAt - backAt,
      storedEvents: wanted.size,
      skipped: skipped.length,
      redeliveredOnKafka: redelivered,
      finalisedCalls: finalised.size,
      finalisedMissing: finalisedMissing.length,
    });

    // acknowledgements did not wait for the broker
    expect(ledger.acksBetween(killedAt, restartAt)).toBeGreaterThan(50);
    expect(Object.keys(ledger.outcomes())).toEqual(['200']);
    expect(summary.givenUp).toBe(0);
    expect(ledger.acknowledged.size).toBe(summary.sent);
    expectStoredExactlyOnce(check);
    // the relay caught up, nothing skipped
    expect(lagWhileDown).toBeGreaterThan(0);
    expect(skipped).toEqual([]);
    expect(finalisedMissing).toEqual([]);
    expect(emptied).toBe(true);
  }, 300_000);
});
