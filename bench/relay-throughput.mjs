#!/usr/bin/env node
// Relay throughput: N outbox rows (call-event envelopes of ~400 bytes, 500 calls) already
// committed, then the relay carries them to a real broker; prints events/s and the lag curve.
//   npm run build && scripts/kafka/broker.sh start && node bench/relay-throughput.mjs [rows] [batchSize]
// Loopback only; bounded by the row count.
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import pg from 'pg';
import { DataSource } from 'typeorm';

const dist = resolve(import.meta.dirname, '../dist');
const { OutboxRelay } = await import(`${dist}/apps/voice-push/src/outbox-relay/outbox-relay.js`);
const { KafkajsEventPublisher } = await import(`${dist}/libs/messaging/src/index.js`);
const { eventStoreMigrations } = await import(`${dist}/libs/event-store/src/index.js`);

const rows = Number(process.argv[2] ?? 20_000);
const batchSize = Number(process.argv[3] ?? 500);
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const base = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `vp_bench_relay_${Date.now()}`;
const admin = new pg.Client({ connectionString: base });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(base);
url.pathname = `/${name}`;
const db = new DataSource({ type: 'postgres', driver: pg, url: url.toString(), migrations: eventStoreMigrations });
await db.initialize();
await db.runMigrations();

const topic = `bench.relay.${Date.now()}`;
const calls = Array.from({ length: 500 }, () => `bench-${randomUUID()}`);
for (let from = 0; from < rows; from += 5000) {
  const n = Math.min(5000, rows - from);
  const keys = [], values = [], headers = [];
  for (let i = 0; i < n; i++) {
    const callId = calls[(from + i) % calls.length];
    const eventId = randomUUID();
    keys.push(callId);
    values.push(JSON.stringify({ eventId, type: 'StatusRecorded', callId, accountId: '10001', version: i, position: String(from + i), occurredAt: new Date().toISOString(), recordedAt: new Date().toISOString(), data: { key: `status:${callId}:2:1:1607588903`, push: { eventType: 2, eventTime: 1607588903000, caller: '13100001111', callee: '13100002222' } } }));
    headers.push(JSON.stringify({ 'event-id': eventId, 'event-type': 'StatusRecorded' }));
  }
  await db.query(
    `INSERT INTO outbox (topic, key, value, headers) SELECT $1, k, v::jsonb, h::jsonb FROM unnest($2::text[], $3::text[], $4::text[]) AS t(k, v, h)`,
    [topic, keys, values, headers],
  );
}

const publisher = new KafkajsEventPublisher({ brokers, clientId: 'relay-bench' });
await publisher.connect();
const relay = new OutboxRelay(db, publisher, { batchSize, topics: [topic], partitions: 3 });
const started = performance.now();
relay.start();
const curve = [];
for (;;) {
  const lag = await relay.lag();
  curve.push(`${Math.round(performance.now() - started)}ms:${lag}`);
  if (lag === 0) break;
  await new Promise((r) => setTimeout(r, 250));
}
const seconds = (performance.now() - started) / 1000;
await relay.stop();
process.stdout.write(
  `relay: ${rows} events in ${seconds.toFixed(2)} s = ${Math.round(rows / seconds)} events/s (batch ${batchSize}, acks=all, gzip)\n` +
    `lag (outbox rows) over time: ${curve.join(' ')}\n`,
);
await publisher.disconnect();
await db.destroy();
await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
await admin.end();
