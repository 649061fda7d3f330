// Fault: the service is killed with SIGKILL in the middle of simulated load (no shutdown hook, no
// drain, no relay flush), then started again on the same database and Kafka broker while the
// sender's retries go on. Afterwards:
// - every acknowledged push is in the event store exactly once (status by idempotency key, CDR by
//   key and content), every stream gapless, nothing half-applied;
// - every finalised call reached voice.calls.finalized.v1, every stored event voice.call-events.v1;
// - the call views equal those of a fault-free run of the same seeded traffic on another database,
//   modulo what depends on arrival order (comparableView: receivedAt, openedAt, finalizedAt,
//   version, events[].late, LATE_STATUS_EVENT findings).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CALL_EVENTS_TOPIC, CALLS_FINALIZED_TOPIC } from '#contracts';
import type { CallView } from '#call-session-domain';
import { runSimulation, type SimulationOptions } from '../../apps/push-simulator/src/index.js';
import { createTempDatabase, type TempDatabase } from '../../libs/event-store/src/testing/temp-database.js';
import { KafkaTestConsumer, topicPartitionCount } from '../../libs/messaging/src/testing/kafka-test-consumer.js';
import { comparableView } from '../../libs/testing/src/apply-all.js';
import { checkStore, getJson, outboxLag, PushLedger, eventually, reportFigures, sleep, storedEvents, expectStoredExactlyOnce, storeFigures } from '../support/fault-checks.js';
import { startOwnKafka, type OwnKafka } from '../support/own-kafka.js';
import { freePort, startServiceProcess, type ServiceProcess } from '../support/service-process.js';

const KILL_AT_MS = 2_500;

/** The same seeded traffic for both runs: same calls, anomalies, bodies and callIds. */
const traffic = (url: string, ledger: PushLedger, callIds: string[]): SimulationOptions => ({
  url,
  calls: 300,
  rate: 200, // tries per second: ~7 s of load
  concurrency: 16,
  timeScale: 0.02, // retries after 0, 100 ms, 600 ms, 6 s, 36 s
  seed: 'faults-service-kill',
  runId: 'fk0001',
  baseTimeMs: 1_760_000_000_000,
  anomalies: { duplicate: 0.15, reorder: 0.15, cdrFirst: 0.1, lostStatus: 0.1, missingCdr: 0.05, unitMixup: 0.1 },
  drainTimeoutMs: 90_000,
  onTry: ledger.onTry,
  onCall: (call) => callIds.push(call.flow.callId),
});

async function viewsOf(url: string, callIds: string[]): Promise<Map<string, unknown>> {
  const views = new Map<string, unknown>();
  for (const callId of callIds) {
    const { status, body } = await getJson(`${url}/v1/calls/${encodeURIComponent(callId)}`);
    views.set(callId, status === 200 ? comparableView(body as CallView) : { httpStatus: status });
  }
  return views;
}

describe('fault: the service killed -9 under load and restarted on the same database', () => {
  let kafka: OwnKafka;
  let faultDb: TempDatabase;
  let referenceDb: TempDatabase;
  let service: ServiceProcess | undefined;
  let reference: ServiceProcess | undefined;
  let consumer: KafkaTestConsumer | undefined;

  beforeAll(async () => {
    kafka = await startOwnKafka();
    faultDb = await createTempDatabase();
    referenceDb = await createTempDatabase();
  }, 180_000);

  afterAll(async () => {
    await consumer?.stop();
    await service?.stop('SIGKILL');
    await reference?.stop('SIGKILL');
    await faultDb?.dropOrWarn();
    await referenceDb?.dropOrWarn();
    await kafka?.destroy();
  }, 90_000);

  test('every acknowledged push stored exactly once, every finalised call on Kafka, views equal a fault-free run', async () => {
    // 1. the fault-free run of the same traffic, on its own database (no Kafka: events wait in its outbox)
    reference = await startServiceProcess({ DATABASE_URL: referenceDb.url });
    const referenceCalls: string[] = [];
    const referenceLedger = new PushLedger();
    const referenceSummary = await runSimulation(traffic(reference.url, referenceLedger, referenceCalls));
    expect(referenceSummary.acknowledged).toBe(referenceSummary.sent);
    const expectedViews = await viewsOf(reference.url, referenceCalls);
    await reference.stop();
    reference = undefined;

    // 2. the run with the kill
    const port = String(await freePort());
    const env = { DATABASE_URL: faultDb.url, KAFKA_BROKERS: kafka.brokers, PORT: port };
    service = await startServiceProcess(env);
    const topicsReady = await eventually(
      async () => (await Promise.all([CALL_EVENTS_TOPIC, CALLS_FINALIZED_TOPIC].map((t) => topicPartitionCount(t, [kafka.brokers])))).every((n) => n !== undefined),
      30_000,
    );
    expect(topicsReady).toBe(true);
    consumer = new KafkaTestConsumer([CALL_EVENTS_TOPIC, CALLS_FINALIZED_TOPIC], [kafka.brokers], true);
    await consumer.start();

    const ledger = new PushLedger();
    const callIds: string[] = [];
    const simulation = runSimulation(traffic(service.url, ledger, callIds));
    await sleep(KILL_AT_MS);
    const ackedBeforeKill = ledger.acknowledged.size;
    const killedAt = ledger.now();
    await service.stop('SIGKILL');
    service = await startServiceProcess(env, 60_000);
    const backAt = ledger.now();
    const summary = await simulation;
    expect(summary.calls).toBe(referenceSummary.calls);

    // 3. the event store
    const check = await checkStore(faultDb.url, ledger.acknowledged);

    // 4. Kafka: every finalised call, every stored event (deduplicated by eventId)
    const stored = await storedEvents(faultDb.url);
    const finalised = new Set(stored.filter((e) => e.type === 'CallFinalised').map((e) => e.stream_id));
    const wantedIds = new Set(stored.map((e) => e.event_id));
    const arrived = () => {
      const ids = new Set<string>();
      const finalisedKeys = new Set<string>();
      for (const m of consumer!.messages) {
        if (m.topic === CALL_EVENTS_TOPIC) ids.add(m.headers['event-id'] ?? '');
        else if (m.key) finalisedKeys.add(m.key);
      }
      return { ids, finalisedKeys };
    };
    await consumer
      .waitFor(() => {
        const { ids, finalisedKeys } = arrived();
        return [...wantedIds].every((id) => ids.has(id)) && [...finalised].every((c) => finalisedKeys.has(c));
      }, 60_000)
      .catch(() => undefined);
    const { ids, finalisedKeys } = arrived();
    const eventsNotOnKafka = [...wantedIds].filter((id) => !ids.has(id));
    const finalisedNotOnKafka = [...finalised].filter((c) => !finalisedKeys.has(c));
    // The relay records its position after Kafka acknowledged, so the last batch can be on Kafka a moment before the lag reads 0.
    const emptied = await eventually(async () => (await outboxLag(faultDb.url)) === 0, 15_000);
    const lag = emptied ? 0 : await outboxLag(faultDb.url);

    // 5. the views
    const actualViews = await viewsOf(service.url, callIds);
    const differing = callIds.filter((id) => JSON.stringify(actualViews.get(id)) !== JSON.stringify(expectedViews.get(id)));

    reportFigures('service kill -9', {
      ...storeFigures(summary, ledger, check),
      ackedBeforeKill,
      killedAtMs: killedAt,
      downMs: backAt - killedAt,
      outcomes: ledger.outcomes(),
      duplicateAnswers: summary.duplicatesAcknowledged,
      givenUp: summary.givenUp,
      events: check.events,
      calls: callIds.length,
      finalisedCalls: finalised.size,
      kafkaMessages: consumer.messages.length,
      eventsNotOnKafka: eventsNotOnKafka.length,
      finalisedNotOnKafka: finalisedNotOnKafka.length,
      viewsCompared: callIds.filter((id) => !('httpStatus' in (expectedViews.get(id) as object))).length,
      viewsDiffering: differing.length,
    });
    if (differing.length > 0) {
      const id = differing[0]!;
      console.info(`first differing view ${id}:\nexpected ${JSON.stringify(expectedViews.get(id))}\nactual   ${JSON.stringify(actualViews.get(id))}`);
    }

    expect(ackedBeforeKill).toBeGreaterThan(50); // the kill came in the middle of the load
    expect(summary.givenUp).toBe(0);
    expect(summary.abandoned).toBe(0);
    expect(ledger.acknowledged.size).toBe(summary.sent);
    expectStoredExactlyOnce(check);
    expect(check.unfinalised).toEqual([]);
    expect(check.staleViews).toEqual([]);
    expect(eventsNotOnKafka).toEqual([]);
    expect(finalisedNotOnKafka).toEqual([]);
    expect(lag).toBe(0);
    expect(callIds.every((id) => !('httpStatus' in (expectedViews.get(id) as object)))).toBe(true); // every call has a view
    expect(differing).toEqual([]);
  }, 300_000);
});
