import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { CALL_EVENTS_TOPIC, CALLS_FINALIZED_TOPIC } from '#contracts';
import {
  assertBrokerReachable,
  KafkaTestConsumer,
  testBrokers,
  topicPartitionCount,
  type ConsumedMessage,
} from '../../libs/messaging/src/testing/kafka-test-consumer.js';
import { startTestService, type TestService } from '../support/test-service.js';
import { pollUntil } from '../support/wire-pushes.js';
import { RELAY_BACKLOG_SQL, type RelayBacklog } from '../../apps/voice-push/src/outbox-relay/call-event-log.js';

const run = promisify(execFile);
const BROKER_SH = resolve(process.cwd(), 'scripts/kafka/broker.sh');
const SAMPLES = resolve(process.cwd(), '../shared/spec/samples');
const sample = (name: string) => JSON.parse(readFileSync(resolve(SAMPLES, name), 'utf8')) as Record<string, unknown>;

/** A consistent answered call over the wire: statuses 1-4 and its CDR. */
function answeredCall(callId: string) {
  const t0 = 1_700_000_000; // seconds
  const status = (eventType: number, offset: number) => ({
    accountId: 'acc-kafka',
    callId,
    serviceType: 100,
    caller: '13100001111',
    callee: '13100002222',
    eventType,
    eventTime: String(t0 + offset),
    allEventType: [1, 2, 3, 4],
  });
  const cdr = {
    ...sample('cdr-spec-example.json'),
    accountId: 'acc-kafka',
    callId,
    beginCallTime: t0 * 1000,
    ringTime: (t0 + 1) * 1000,
    startTime: (t0 + 3) * 1000,
    endTime: (t0 + 23) * 1000,
    callDuration: 20,
    cdrCreateTime: (t0 + 24) * 1000,
  };
  return { statuses: [status(1, 0), status(2, 1), status(3, 3), status(4, 23)], cdr };
}

const valueOf = (m: ConsumedMessage) => JSON.parse(m.value ?? 'null');
const ADMIN_TOKEN = 'admin-token-for-kafka-e2e-0123456789';

describe('outbox relay to Kafka (contract §5), the real service and a real broker', () => {
  let service: TestService;
  let consumer: KafkaTestConsumer;

  beforeAll(async () => {
    await assertBrokerReachable();
    service = await startTestService({ KAFKA_BROKERS: testBrokers().join(','), ADMIN_TOKEN });
    // the relay creates its topics at start-up; subscribe once they exist
    for (let i = 0; i < 100; i++) {
      const counts = await Promise.all([CALL_EVENTS_TOPIC, CALLS_FINALIZED_TOPIC].map((t) => topicPartitionCount(t)));
      if (counts.every((c) => c !== undefined)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    // the topics are shared and may hold history (benchmarks, earlier runs): read only what comes next
    consumer = new KafkaTestConsumer([CALL_EVENTS_TOPIC, CALLS_FINALIZED_TOPIC], testBrokers(), false);
    await consumer.start();
  }, 60_000);

  afterAll(async () => {
    await consumer?.stop();
    await service?.close();
  }, 60_000);

  /** An answered call pushed over HTTP, once its 6 events and its finalised view are on Kafka. */
  async function sendAnsweredCall() {
    const callId = `kafka-${randomUUID()}`;
    const { statuses, cdr } = answeredCall(callId);
    for (const s of statuses) expect((await service.post('/v1/push/status', s)).status).toBe(200);
    expect((await service.post('/v1/push/cdr', cdr)).status).toBe(200);
    const ofCall = (topic: string) => consumer.messages.filter((m) => m.topic === topic && m.key === callId);
    await consumer.waitFor(() => ofCall(CALL_EVENTS_TOPIC).length >= 6 && ofCall(CALLS_FINALIZED_TOPIC).length >= 1, 30_000);
    return { callId, ofCall };
  }

  test("a call's events arrive on both topics, in order, with the envelope, key and headers", async () => {
    const { callId, ofCall } = await sendAnsweredCall();


    const events = ofCall(CALL_EVENTS_TOPIC).map(valueOf);
    expect(events.map((e) => e.type)).toEqual([
      'StatusRecorded',
      'StatusRecorded',
      'StatusRecorded',
      'StatusRecorded',
      'CdrRecorded',
      'CallFinalised',
    ]);
    expect(events.map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6]);
    const history = (await service.get(`/v1/calls/${callId}/history`)).body;
    for (const [i, envelope] of events.entries()) {
      expect(Object.keys(envelope).sort()).toEqual(
        ['accountId', 'callId', 'data', 'eventId', 'occurredAt', 'position', 'recordedAt', 'type', 'version'].sort(),
      );
      expect(envelope).toMatchObject({ callId, accountId: 'acc-kafka', type: history[i].type, data: history[i].data });
    }
    for (const m of ofCall(CALL_EVENTS_TOPIC)) {
      expect(m.headers['event-id']).toBe(valueOf(m).eventId);
      expect(m.headers['event-type']).toBe(valueOf(m).type);
    }
    // one call, one key, one partition: the order above is the broker's order too
    expect(new Set(ofCall(CALL_EVENTS_TOPIC).map((m) => m.partition)).size).toBe(1);

    const [finalised] = ofCall(CALLS_FINALIZED_TOPIC);
    const view = (await service.get(`/v1/calls/${callId}`)).body;
    expect(valueOf(finalised)).toEqual(view);
    expect(valueOf(finalised)).toMatchObject({ status: 'FINALIZED', reconciliation: { status: 'MATCHED' } });
    expect(finalised.headers['event-type']).toBe('CallFinalised');
    // its event-id names the commit's last event: the CallFinalised of the call-events topic
    const finalisedEvent = ofCall(CALL_EVENTS_TOPIC).map(valueOf).find((e) => e.type === 'CallFinalised');
    expect(finalised.headers['event-id']).toBe(finalisedEvent.eventId);
  }, 60_000);

  test('the admin republish sends the events and the view of a call to Kafka again: the same eventIds, in the same order', async () => {
    const { callId, ofCall } = await sendAnsweredCall();
    const [{ first }] = (await service.db.query(`SELECT min(position)::text AS first FROM events WHERE stream_id = $1`, [callId])) as { first: string }[];

    const started = await fetch(`${service.url}/admin/outbox/republish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ fromPosition: String(BigInt(first) - 1n) }),
    });
    expect(started.status).toBe(202);
    await consumer.waitFor(() => ofCall(CALL_EVENTS_TOPIC).length >= 12 && ofCall(CALLS_FINALIZED_TOPIC).length >= 2, 30_000);

    const ids = ofCall(CALL_EVENTS_TOPIC).map((m) => valueOf(m).eventId);
    expect(ids.slice(6, 12)).toEqual(ids.slice(0, 6)); // again, in version order: a consumer dedupes them
    const views = ofCall(CALLS_FINALIZED_TOPIC).map(valueOf);
    expect(views[1]).toEqual(views[0]);
  }, 60_000);

  test('a late status re-reconciles: the view goes out again on the finalised topic', async () => {
    const callId = `kafka-${randomUUID()}`;
    const { statuses, cdr } = answeredCall(callId);
    expect((await service.post('/v1/push/cdr', cdr)).status).toBe(200);
    expect((await service.post('/v1/push/status', statuses[0])).status).toBe(200);
    const finalisedOf = () => consumer.messages.filter((m) => m.topic === CALLS_FINALIZED_TOPIC && m.key === callId);
    await consumer.waitFor(() => finalisedOf().length >= 2, 30_000);
    expect(finalisedOf().map((m) => m.headers['event-type'])).toEqual(['CallFinalised', 'CallReconciled']);
    expect(valueOf(finalisedOf()[1]).reconciliation.findings.map((f: { code: string }) => f.code)).toContain(
      'LATE_STATUS_EVENT',
    );
  }, 60_000);

  test('the broker killed -9 mid-stream: pushes keep being acknowledged, and after its restart every event arrives', async () => {
    await run('bash', [BROKER_SH, 'status']).catch(() => {
      throw new Error(`this test restarts the broker with ${BROKER_SH}, which manages no running broker here`);
    });
    const calls = Array.from({ length: 30 }, () => `kafka-kill-${randomUUID()}`);
    const pushes = calls.flatMap((callId) => {
      const { statuses, cdr } = answeredCall(callId);
      return [...statuses.map((body) => ({ path: '/v1/push/status', body })), { path: '/v1/push/cdr', body: cdr }];
    });
    const acknowledged: string[] = [];
    const send = async (from: number, to: number) => {
      for (const { path, body } of pushes.slice(from, to)) {
        const answer = await service.post(path, body);
        expect(answer.status).toBe(200);
        acknowledged.push(body.callId as string);
      }
    };

    await send(0, 50);
    await run('bash', [BROKER_SH, 'kill9']);
    try {
      await send(50, 110); // the broker is gone: ingestion does not wait for it
    } finally {
      // the broker is shared by the suites after this one: it comes back whatever this test found
      await run('bash', [BROKER_SH, 'start'], { timeout: 90_000 });
    }
    await send(110, pushes.length);
    expect(acknowledged).toHaveLength(pushes.length);

    const wanted = new Set(calls);
    const eventsOf = () => consumer.messages.filter((m) => m.topic === CALL_EVENTS_TOPIC && wanted.has(m.key ?? ''));
    // 30 calls × (4 statuses + CDR + finalisation)
    await consumer.waitFor(() => new Set(eventsOf().map((m) => m.headers['event-id'])).size >= calls.length * 6, 90_000);

    const stored: { event_id: string; stream_id: string; version: number }[] = await service.db.query(
      'SELECT event_id, stream_id, version FROM events WHERE stream_id = ANY($1) ORDER BY stream_id, version',
      [calls],
    );
    const received = eventsOf();
    // none lost
    expect(new Set(received.map((m) => m.headers['event-id']))).toEqual(new Set(stored.map((e) => e.event_id)));
    // duplicates only with the same eventId: a repeated eventId always carries the same event
    const byId = new Map<string, string>();
    for (const m of received) {
      const seen = byId.get(m.headers['event-id']);
      if (seen !== undefined) expect(m.value).toBe(seen);
      byId.set(m.headers['event-id'], m.value ?? '');
    }
    // per-call order kept: versions never go back on a key, first sightings are 1..6
    for (const callId of calls) {
      const versions = received.filter((m) => m.key === callId).map((m) => valueOf(m).version as number);
      const firstSightings = versions.filter((v, i) => versions.indexOf(v) === i);
      expect(firstSightings).toEqual([1, 2, 3, 4, 5, 6]);
    }
    // nothing waits: no outbox row (the finalised views), no event after the relay's checkpoint
    // (polled: the relay commits its checkpoint after Kafka acknowledged, so a consumer can see the
    // last batch a moment before)
    const backlog = await pollUntil(
      async () => ((await service.db.query(RELAY_BACKLOG_SQL)) as RelayBacklog[])[0],
      (b) => b?.events === 0,
      15_000,
    );
    expect(backlog).toEqual({ events: 0, age: null });
  }, 240_000);
});
