// Network faults between the service and Kafka, played by a ChaosProxy (test/support) in front of
// this file's own broker. The broker listens on Q and advertises the proxy's port P
// (KAFKA_ADVERTISED_PORT), so the service, bootstrapping at P (KAFKA_BROKERS=127.0.0.1:P), is sent
// back to P by the metadata and every byte it exchanges with Kafka crosses the proxy. The test's own
// consumer connects to Q directly (its socket factory redirects the advertised P to Q), so what the
// test sees of the topics is not faulted. Ingestion writes what the relay sends (the events, a
// finalised view's outbox row) in the push's Postgres transaction and never waits for Kafka:
//   latency   (100 ms each way) → acknowledgements as fast as without, the relay slower, complete;
//   blackhole (accept, never forward) → acknowledgements go on, the backlog grows, the relay
//             catches up once healed;
//   reset     (every open connection reset, repeatedly) → the relay recovers;
//   silenced  (open connections drop everything for good, new ones pass) → the relay recovers
//             on new connections after the request timeout, with no heal.
// After each: every stored event's eventId is on voice.call-events.v1 (none skipped), every
// finalised call on voice.calls.finalized.v1, no acknowledged push lost, none stored twice.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { CALL_EVENTS_TOPIC, CALLS_FINALIZED_TOPIC } from '#contracts';
import { runSimulation, type SimulationSummary } from '../../apps/push-simulator/src/index.js';
import { createTempDatabase, type TempDatabase } from '../../libs/event-store/src/testing/temp-database.js';
import { KafkaTestConsumer, type BrokerRedirects } from '../../libs/messaging/src/testing/kafka-test-consumer.js';
import { ChaosProxy } from '../support/chaos-proxy.js';
import { metricValue } from '../support/prometheus-text.js';
import { checkStore, getJson, outboxLag, PushLedger, eventually, postProbePush, reportFigures, sleep, storedEvents, type StoreCheck, expectStoredExactlyOnce, storeFigures } from '../support/fault-checks.js';
import { awaitContractTopics, startOwnKafkaBehindProxy, type OwnKafka } from '../support/own-kafka.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';

const ANOMALIES = { duplicate: 0.1, reorder: 0.1, cdrFirst: 0.05, lostStatus: 0.05, missingCdr: 0.05, unitMixup: 0.05 };
const LATENCY_MS = 100;
const BLACKHOLE_MS = 4_000;
/** KafkajsEventPublisher's default requestTimeoutMs (libs/messaging/src/kafkajs-event-publisher.ts) */
const REQUEST_TIMEOUT_MS = 15_000;
const LONG_BLACKHOLE_MS = REQUEST_TIMEOUT_MS + 3_000;
const CATCH_UP_TIMEOUT_MS = 45_000;

describe('fault: network faults between the service and Kafka (ChaosProxy)', () => {
  let kafka: OwnKafka;
  let proxy: ChaosProxy;
  let database: TempDatabase;
  let service: ServiceProcess | undefined;
  let consumer: KafkaTestConsumer | undefined;
  let redirects: BrokerRedirects;

  const simulate = (ledger: PushLedger, seed: string, calls: number): Promise<SimulationSummary> =>
    runSimulation({
      url: service!.url,
      calls,
      rate: 100,
      concurrency: 16,
      timeScale: 0.02,
      seed,
      anomalies: ANOMALIES,
      drainTimeoutMs: 60_000,
      onTry: ledger.onTry,
    });

  /** Every stored event's id on the call-events topic, every finalised call on the finalised one. */
  const kafkaView = () => {
    const ids = new Set<string>();
    const finalisedKeys = new Set<string>();
    let callEventMessages = 0;
    for (const m of consumer!.messages) {
      if (m.topic === CALL_EVENTS_TOPIC) {
        callEventMessages += 1;
        ids.add(m.headers['event-id'] ?? '');
      } else if (m.key) finalisedKeys.add(m.key);
    }
    return { ids, finalisedKeys, redelivered: callEventMessages - ids.size };
  };

  /** Waits until Kafka holds everything the store holds; what is missing, and how long it took. */
  const awaitKafkaCaughtUp = async (timeoutMs = CATCH_UP_TIMEOUT_MS) => {
    const started = Date.now();
    const stored = await storedEvents(database.url);
    const wanted = stored.map((e) => e.event_id);
    const finalised = [...new Set(stored.filter((e) => e.type === 'CallFinalised').map((e) => e.stream_id))];
    await consumer!
      .waitFor(() => {
        const { ids, finalisedKeys } = kafkaView();
        return wanted.every((id) => ids.has(id)) && finalised.every((c) => finalisedKeys.has(c));
      }, timeoutMs)
      .catch(() => undefined);
    const view = kafkaView();
    const emptied = await eventually(async () => (await outboxLag(database.url)) === 0, 15_000);
    return {
      caughtUpMs: Date.now() - started,
      storedEvents: wanted.length,
      skipped: wanted.filter((id) => !view.ids.has(id)),
      finalisedCalls: finalised.length,
      finalisedMissing: finalised.filter((c) => !view.finalisedKeys.has(c)),
      redeliveredOnKafka: view.redelivered,
      emptied,
    };
  };

  /**
   * One status push of a fresh call, then the time until its event is on the call-events topic
   * (read directly, not through the proxy): the relay's end-to-end delay.
   */
  const relayProbe = async (timeoutMs = 20_000): Promise<{ ackStatus: number; ackMs: number; onKafkaMs: number }> => {
    const callId = `probe-${randomUUID()}`;
    const started = Date.now();
    const response = await postProbePush(service!.url, callId, 5_000);
    const ackMs = Date.now() - started;
    await consumer!.waitFor((ms) => ms.some((m) => m.topic === CALL_EVENTS_TOPIC && m.key === callId), timeoutMs).catch(() => undefined);
    const arrived = consumer!.messages.some((m) => m.topic === CALL_EVENTS_TOPIC && m.key === callId);
    return { ackStatus: response.status, ackMs, onKafkaMs: arrived ? Date.now() - started : Number.POSITIVE_INFINITY };
  };

  /**
   * Samples the service's /metrics every 200 ms until stop(): whether the relay reported failing
   * (voice_push_relay_failing) and its published counter. Bounded by `maxSamples`.
   */
  const sampleRelay = (maxSamples = 300) => {
    let stopped = false;
    let failingSamples = 0;
    let samples = 0;
    const scrape = async () => {
      const text = await fetch(`${service!.url}/metrics`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.text());
      return { failing: metricValue(text, 'voice_push_relay_failing') ?? 0, published: metricValue(text, 'voice_push_relay_published_events') ?? 0 };
    };
    const loop = (async () => {
      for (let i = 0; i < maxSamples && !stopped; i++) {
        const m = await scrape().catch(() => undefined);
        samples += 1;
        if (m && m.failing > 0) failingSamples += 1;
        await sleep(200);
      }
    })();
    return {
      stop: async () => {
        stopped = true;
        await loop;
        return { samples, failingSamples, ...(await scrape().catch(() => ({ failing: -1, published: -1 }))) };
      },
    };
  };

  const expectStoreWhole = (ledger: PushLedger, summary: SimulationSummary, check: StoreCheck) => {
    expect(summary.givenUp).toBe(0);
    expect(ledger.acknowledged.size).toBe(summary.sent);
    expectStoredExactlyOnce(check);
  };

  const kafkaFigures = (kafkaCheck: Awaited<ReturnType<typeof awaitKafkaCaughtUp>>) => ({
    storedEvents: kafkaCheck.storedEvents,
    skipped: kafkaCheck.skipped.length,
    finalisedCalls: kafkaCheck.finalisedCalls,
    finalisedMissing: kafkaCheck.finalisedMissing.length,
    redeliveredOnKafka: kafkaCheck.redeliveredOnKafka,
  });
  const expectKafkaWhole = (kafkaCheck: Awaited<ReturnType<typeof awaitKafkaCaughtUp>>) => {
    expect(kafkaCheck.skipped).toEqual([]);
    expect(kafkaCheck.finalisedMissing).toEqual([]);
    expect(kafkaCheck.emptied).toBe(true);
  };

  beforeAll(async () => {
    ({ kafka, proxy, redirects } = await startOwnKafkaBehindProxy());
    database = await createTempDatabase();
    service = await startServiceProcess({ DATABASE_URL: database.url, KAFKA_BROKERS: `127.0.0.1:${proxy.port}` });
    await awaitContractTopics(kafka.brokers, redirects);
    const acceptedBefore = proxy.accepted;
    consumer = new KafkaTestConsumer([CALL_EVENTS_TOPIC, CALLS_FINALIZED_TOPIC], [kafka.brokers], true, redirects);
    await consumer.start();
    // the service went through the proxy (it created the topics); the consumer did not: every
    // connection the proxy accepted meanwhile is the service's (at most its producer's and admin's few)
    expect(proxy.accepted).toBeGreaterThan(0);
    expect(proxy.accepted - acceptedBefore).toBeLessThan(3);
  }, 180_000);

  afterAll(async () => {
    proxy?.heal();
    await consumer?.stop();
    await service?.stop('SIGKILL');
    await proxy?.stop();
    await database?.dropOrWarn();
    await kafka?.destroy();
  }, 90_000);

  test(`latency ${LATENCY_MS} ms each way: acknowledgements unaffected, the relay slower but complete`, async () => {
    const baseline = new PushLedger();
    const baselineSummary = await simulate(baseline, 'faults-kafka-net-baseline', 40);
    const baselineProbe = await relayProbe();
    const ledger = new PushLedger();
    proxy.latency(LATENCY_MS);
    let summary: SimulationSummary;
    let slowProbe: Awaited<ReturnType<typeof relayProbe>>;
    let lagMax = 0;
    try {
      const simulation = simulate(ledger, 'faults-kafka-net-latency', 100);
      const sampling = (async () => {
        for (let i = 0; i < 100 && !(await isSettled(simulation)); i++) {
          lagMax = Math.max(lagMax, await outboxLag(database.url));
          await sleep(100);
        }
      })();
      summary = await simulation;
      await sampling;
      slowProbe = await relayProbe();
    } finally {
      proxy.heal();
    }
    const check = await checkStore(database.url, ledger.acknowledged);
    const kafkaCheck = await awaitKafkaCaughtUp();
    reportFigures(`kafka latency ${LATENCY_MS} ms each way`, {
      ...storeFigures(summary, ledger, check),
      outcomes: ledger.outcomes(),
      ackP50Ms: Math.round(summary.latencyMs.p50),
      baselineAckP50Ms: Math.round(baselineSummary.latencyMs.p50),
      ackP99Ms: Math.round(summary.latencyMs.p99),
      relayDelayMs: slowProbe.onKafkaMs,
      baselineRelayDelayMs: baselineProbe.onKafkaMs,
      outboxLagMax: lagMax,
      ...kafkaFigures(kafkaCheck),
    });
    // every push acknowledged (the ack timings are reported above, not asserted: speed belongs to
    // npm run bench); the probe really went through the slowed proxy on its way to Kafka — a lower
    // bound the injected delay guarantees
    expect(Object.keys(ledger.outcomes())).toEqual(['200']);
    expect(slowProbe.ackStatus).toBe(200);
    expect(slowProbe.onKafkaMs).toBeGreaterThanOrEqual(LATENCY_MS);
    expectStoreWhole(ledger, summary, check);
    expectKafkaWhole(kafkaCheck);
  }, 120_000);

  test(`blackhole ${BLACKHOLE_MS / 1000} s: acknowledgements go on, the outbox grows, the relay catches up once healed`, async () => {
    const ledger = new PushLedger();
    const simulation = simulate(ledger, 'faults-kafka-net-blackhole', 200);
    await sleep(1_000);
    const holeAt = ledger.now();
    const sampler = sampleRelay();
    proxy.blackhole();
    await sleep(500);
    const lagEarly = await outboxLag(database.url);
    const probeInHole = await relayProbe(1_000);
    await sleep(Math.max(0, BLACKHOLE_MS - 300 - (ledger.now() - holeAt)));
    const lagLate = await outboxLag(database.url);
    await sleep(Math.max(0, BLACKHOLE_MS - (ledger.now() - holeAt)));
    const healedAt = ledger.now();
    const heldConnections = proxy.openConnections;
    proxy.heal();
    // the backlog is gone once the outbox is back to what it held half a second into the hole
    // (rows in flight under load), while the load goes on
    const drained = await eventually(async () => (await outboxLag(database.url)) <= lagEarly, 20_000, 50);
    const drainedAt = ledger.now();
    const summary = await simulation;
    const check = await checkStore(database.url, ledger.acknowledged);
    const kafkaCheck = await awaitKafkaCaughtUp();
    const caughtUpAt = ledger.now();
    const relay = await sampler.stop();
    reportFigures(`kafka blackhole ${BLACKHOLE_MS / 1000} s`, {
      ...storeFigures(summary, ledger, check),
      acksInHole: ledger.acksBetween(holeAt, healedAt),
      outcomesInHole: ledger.outcomes(holeAt, healedAt),
      outcomes: ledger.outcomes(),
      ackP99Ms: Math.round(summary.latencyMs.p99),
      probeInHole: `${probeInHole.ackStatus} in ${probeInHole.ackMs} ms, on Kafka: ${probeInHole.onKafkaMs}`,
      outboxLagInHole: `${lagEarly} → ${lagLate}`,
      proxyConnectionsHeld: heldConnections,
      relayFailingSamples: `${relay.failingSamples}/${relay.samples}`,
      backlogDrainedAfterHealMs: drained ? drainedAt - healedAt : 'no',
      caughtUpAfterHealMs: caughtUpAt - healedAt,
      publishedByRelay: relay.published,
      messagesOnKafka: consumer!.messages.length,
      ...kafkaFigures(kafkaCheck),
    });
    // ingestion never waits for Kafka
    expect(ledger.acksBetween(holeAt, healedAt)).toBeGreaterThan(50);
    expect(Object.keys(ledger.outcomes())).toEqual(['200']);
    // acknowledged while Kafka could not have it
    expect(probeInHole.ackStatus).toBe(200);
    expect(probeInHole.onKafkaMs).toBe(Number.POSITIVE_INFINITY);
    // nothing reached Kafka while the hole lasted: the outbox grew
    expect(lagLate).toBeGreaterThan(lagEarly);
    expect(drained).toBe(true);
    expectStoreWhole(ledger, summary, check);
    expectKafkaWhole(kafkaCheck);
  }, 150_000);

  test(`blackhole ${LONG_BLACKHOLE_MS / 1000} s, past the producer's ${REQUEST_TIMEOUT_MS / 1000} s request timeout: the relay recovers once healed`, async () => {
    const ledger = new PushLedger();
    const simulation = simulate(ledger, 'faults-kafka-net-long-blackhole', 150);
    await sleep(800);
    const holeAt = ledger.now();
    const sampler = sampleRelay();
    const outputFrom = service!.output().length;
    proxy.blackhole();
    await sleep(LONG_BLACKHOLE_MS / 2);
    const lagMid = await outboxLag(database.url);
    // contract §6: not ready while Kafka, configured, cannot be reached
    const readyInHole = await getJson(`${service!.url}/health/ready`);
    await sleep(Math.max(0, LONG_BLACKHOLE_MS - (ledger.now() - holeAt)));
    const lagLate = await outboxLag(database.url);
    const healedAt = ledger.now();
    const acceptedInHole = proxy.accepted;
    proxy.heal();
    const readyAgain = await eventually(async () => (await getJson(`${service!.url}/health/ready`)).status === 200, 30_000);
    const summary = await simulation;
    const check = await checkStore(database.url, ledger.acknowledged);
    const kafkaCheck = await awaitKafkaCaughtUp();
    const caughtUpAt = ledger.now();
    const relay = await sampler.stop();
    const after = await relayProbe();
    // what the service logged about Kafka meanwhile (LOG_LEVEL=warn): the request timeout, retries
    const kafkaLog = service!
      .output()
      .slice(outputFrom)
      .split('\n')
      .filter((l) => /kafkajs|outbox relay/i.test(l));
    reportFigures(`kafka blackhole ${LONG_BLACKHOLE_MS / 1000} s (past the request timeout)`, {
      ...storeFigures(summary, ledger, check),
      acksInHole: ledger.acksBetween(holeAt, healedAt),
      outcomes: ledger.outcomes(),
      outboxLagInHole: `${lagMid} → ${lagLate}`,
      proxyConnectionsAcceptedSoFar: acceptedInHole,
      relayFailingSamples: `${relay.failingSamples}/${relay.samples}`,
      caughtUpAfterHealMs: caughtUpAt - healedAt,
      relayDelayAfterMs: after.onKafkaMs,
      publishedByRelay: relay.published,
      messagesOnKafka: consumer!.messages.length,
      ...kafkaFigures(kafkaCheck),
      serviceKafkaLogLines: kafkaLog.length,
      firstKafkaLogLine: (kafkaLog[0] ?? '').slice(0, 240),
    });
    expect(ledger.acksBetween(holeAt, healedAt)).toBeGreaterThan(50);
    expect(Object.keys(ledger.outcomes())).toEqual(['200']);
    expect(readyInHole.status).toBe(503);
    expect(readyInHole.body).toMatchObject({ error: { kafka: { status: 'down' } } });
    expect(readyAgain).toBe(true);
    expect(lagLate).toBeGreaterThan(0);
    expect(Number.isFinite(after.onKafkaMs)).toBe(true); // arrived (the probe waits a bounded time)
    expectStoreWhole(ledger, summary, check);
    expectKafkaWhole(kafkaCheck);
  }, 150_000);

  test(`open connections silenced for good (a dropped NAT entry): the relay gives them up after the ${REQUEST_TIMEOUT_MS / 1000} s request timeout and recovers on new ones, without a heal`, async () => {
    expect(Number.isFinite((await relayProbe()).onKafkaMs)).toBe(true); // the relay's connections are open
    const ledger = new PushLedger();
    const simulation = simulate(ledger, 'faults-kafka-net-silenced', 150);
    await sleep(800);
    const silencedAt = ledger.now();
    const sampler = sampleRelay();
    const silenced = proxy.openConnections;
    const acceptedBefore = proxy.accepted;
    proxy.silenceOpen();
    const summary = await simulation;
    const check = await checkStore(database.url, ledger.acknowledged);
    // The relay's publish on a silent connection gives up after one request timeout (and a margin)
    // and the next one connects afresh; kafkajs alone retried on the same connection, a whole
    // request timeout each time (caught up 46 s after the silence: three tries of 15 s). A bounded
    // wait, not a speed: two request timeouts and 5 s is well short of those three tries.
    const kafkaCheck = await awaitKafkaCaughtUp(Math.max(1_000, silencedAt + 2 * REQUEST_TIMEOUT_MS + 5_000 - ledger.now()));
    const caughtUpAt = ledger.now();
    const relay = await sampler.stop();
    const after = await relayProbe();
    reportFigures('kafka open connections silenced for good', {
      ...storeFigures(summary, ledger, check),
      outcomes: ledger.outcomes(),
      silencedConnections: silenced,
      newConnections: proxy.accepted - acceptedBefore,
      relayFailingSamples: `${relay.failingSamples}/${relay.samples}`,
      caughtUpAfterSilenceMs: caughtUpAt - silencedAt,
      relayDelayAfterMs: after.onKafkaMs,
      ...kafkaFigures(kafkaCheck),
    });
    expect(silenced).toBeGreaterThan(0);
    expect(Object.keys(ledger.outcomes())).toEqual(['200']);
    // recovered on connections opened after the silence: the old ones never carried a byte again
    expect(proxy.accepted).toBeGreaterThan(acceptedBefore);
    expect(Number.isFinite(after.onKafkaMs)).toBe(true); // arrived (the probe waits a bounded time)
    expectStoreWhole(ledger, summary, check);
    expectKafkaWhole(kafkaCheck);
  }, 180_000);

  test('reset: every open connection reset, repeatedly, under load; the relay recovers', async () => {
    const ledger = new PushLedger();
    const simulation = simulate(ledger, 'faults-kafka-net-reset', 200);
    await sleep(800);
    const from = ledger.now();
    const sampler = sampleRelay();
    const acceptedBefore = proxy.accepted;
    for (let i = 0; i < 8; i++) {
      proxy.reset();
      await sleep(300);
    }
    const to = ledger.now();
    const reconnects = proxy.accepted - acceptedBefore;
    const summary = await simulation;
    const check = await checkStore(database.url, ledger.acknowledged);
    const kafkaCheck = await awaitKafkaCaughtUp();
    const caughtUpAt = ledger.now();
    const relay = await sampler.stop();
    const after = await relayProbe();
    reportFigures('kafka connection resets (8 × every 300 ms)', {
      ...storeFigures(summary, ledger, check),
      outcomesDuringResets: ledger.outcomes(from, to),
      outcomes: ledger.outcomes(),
      proxyConnectionsDuringResets: reconnects,
      relayFailingSamples: `${relay.failingSamples}/${relay.samples}`,
      caughtUpAfterResetsMs: caughtUpAt - to,
      publishedByRelay: relay.published,
      messagesOnKafka: consumer!.messages.length,
      relayDelayAfterMs: after.onKafkaMs,
      ...kafkaFigures(kafkaCheck),
    });
    expect(Object.keys(ledger.outcomes())).toEqual(['200']);
    // the service came back through the proxy after the resets
    expect(reconnects).toBeGreaterThan(0);
    expect(Number.isFinite(after.onKafkaMs)).toBe(true); // arrived (the probe waits a bounded time)
    expectStoreWhole(ledger, summary, check);
    expectKafkaWhole(kafkaCheck);
  }, 150_000);
});

async function isSettled(p: Promise<unknown>): Promise<boolean> {
  const pending = Symbol('pending');
  return (await Promise.race([p.then(() => true, () => true), Promise.resolve(pending)])) !== pending;
}
