// What the fault tests check after a fault: every acknowledged push stored exactly once, streams
// gapless and whole, and the figures each test reports.
import { expect } from '@jest/globals';
import pg from 'pg';
import { statusPushKey, cdrPushKey, stableJson } from '#call-session-domain';
import { validateCdrPush, validateStatusPush } from '#contracts';
import type { Push } from '../../apps/push-simulator/src/push.js';
import type { TryOutcome } from '../../apps/push-simulator/src/try-outcome.js';
import { isAcknowledged } from '../../apps/push-simulator/src/try-outcome.js';
import { RELAY_BACKLOG_SQL, type RelayBacklog } from '../../apps/voice-push/src/outbox-relay/call-event-log.js';
import { answerOf, type HttpAnswer } from './http-answer.js';

/** The idempotency key the service stores a push under (events.metadata->>'idempotencyKey'). */
export function idempotencyKeyOf(push: Pick<Push, 'kind' | 'body'>): string {
  if (push.kind === 'status') {
    const v = validateStatusPush(push.body);
    if (!v.ok) throw new Error(`the simulator sent an invalid status push: ${JSON.stringify(v.violations)}`);
    return statusPushKey(v.push);
  }
  const v = validateCdrPush(push.body);
  if (!v.ok) throw new Error(`the simulator sent an invalid CDR push: ${JSON.stringify(v.violations)}`);
  return cdrPushKey(v.push);
}

/** Every try the simulator made, and which pushes were acknowledged (on some try). */
export class PushLedger {
  readonly acknowledged = new Set<Push>();
  readonly tries: { push: Push; outcome: TryOutcome; tryNumber: number; at: number }[] = [];
  readonly callIds = new Set<string>();
  private readonly t0 = Date.now();

  /** for runSimulation's onTry */
  readonly onTry = (push: Push, outcome: TryOutcome, tryNumber: number): void => {
    this.tries.push({ push, outcome, tryNumber, at: Date.now() - this.t0 });
    this.callIds.add(push.callId);
    if (isAcknowledged(outcome)) this.acknowledged.add(push);
  };

  /** ms since the ledger was made */
  now(): number {
    return Date.now() - this.t0;
  }

  statusOf(t: { outcome: TryOutcome }): string {
    const o = t.outcome;
    return o.kind === 'response' ? String(o.status) : o.kind === 'timeout' ? 'timeout' : `error:${o.error}`;
  }

  /** tries by outcome ("200", "503", "timeout", "error:ECONNREFUSED" …), optionally in a time window */
  outcomes(from = 0, to = Number.POSITIVE_INFINITY): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const t of this.tries) {
      if (t.at < from || t.at > to) continue;
      const key = this.statusOf(t);
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  acksBetween(from: number, to: number): number {
    return this.tries.filter((t) => t.at >= from && t.at <= to && isAcknowledged(t.outcome)).length;
  }
}

export interface StoreCheck {
  /** acknowledged pushes with no event stored for them (key, or key + content for CDRs) */
  lost: string[];
  /** pushes stored more than once */
  duplicated: string[];
  /** streams whose versions are not 1..n */
  gaps: string[];
  /** streams with a CdrRecorded and no CallFinalised */
  unfinalised: string[];
  /** calls rows whose version is not the stream's last */
  staleViews: string[];
  events: number;
  streams: number;
}

interface PushRow {
  key: string;
  type: string;
  raw: unknown;
  n: number;
}

/** Every acknowledged push is in the store exactly once, and every stream is gapless. */
export function expectStoredExactlyOnce(check: { lost: unknown[]; duplicated: unknown[]; gaps: unknown[] }): void {
  expect(check.lost).toEqual([]);
  expect(check.duplicated).toEqual([]);
  expect(check.gaps).toEqual([]);
}

/**
 * Checks the event store (a direct connection to `databaseUrl`) against the acknowledged pushes:
 * status pushes by idempotency key; CDR pushes by key and content (a revision is a different CDR
 * under the same key, stored on its own).
 */
export async function checkStore(databaseUrl: string, acknowledged: Iterable<Pick<Push, 'kind' | 'body'>>, streamIds?: string[]): Promise<StoreCheck> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const scope = streamIds ? 'AND stream_id = ANY($1)' : '';
    const params = streamIds ? [streamIds] : [];
    const rows = (
      await client.query<PushRow>(
        `SELECT metadata->>'idempotencyKey' AS key, type, metadata->'rawPush' AS raw, 1 AS n
           FROM events WHERE type IN ('StatusRecorded', 'CdrRecorded') ${scope}`,
        params,
      )
    ).rows;
    const statusCount = new Map<string, number>();
    const cdrCount = new Map<string, number>();
    for (const r of rows) {
      if (r.type === 'StatusRecorded') statusCount.set(r.key, (statusCount.get(r.key) ?? 0) + 1);
      else {
        const k = `${r.key} ${stableJson(r.raw)}`;
        cdrCount.set(k, (cdrCount.get(k) ?? 0) + 1);
      }
    }
    const lost: string[] = [];
    const seen = new Set<string>();
    for (const push of acknowledged) {
      const key = idempotencyKeyOf(push);
      const id = push.kind === 'status' ? key : `${key} ${stableJson(push.body)}`;
      if (seen.has(id)) continue;
      seen.add(id);
      if (!(push.kind === 'status' ? statusCount.has(id) : cdrCount.has(id))) lost.push(id);
    }
    const duplicated = [
      ...[...statusCount].filter(([, n]) => n > 1).map(([k, n]) => `${k} ×${n}`),
      ...[...cdrCount].filter(([, n]) => n > 1).map(([k, n]) => `${k.slice(0, 80)}… ×${n}`),
    ];
    const gaps = (
      await client.query<{ stream_id: string }>(
        `SELECT stream_id FROM events WHERE true ${scope} GROUP BY stream_id
         HAVING min(version) <> 1 OR max(version) <> count(*) OR count(DISTINCT version) <> count(*)`,
        params,
      )
    ).rows.map((r) => r.stream_id);
    const unfinalised = (
      await client.query<{ stream_id: string }>(
        `SELECT stream_id FROM events WHERE type = 'CdrRecorded' ${scope}
         EXCEPT SELECT stream_id FROM events WHERE type = 'CallFinalised' ${scope}`,
        params,
      )
    ).rows.map((r) => r.stream_id);
    const staleViews = (
      await client.query<{ stream_id: string }>(
        `SELECT e.stream_id FROM events e LEFT JOIN calls c ON c.call_id = e.stream_id
          WHERE true ${scope.replace('stream_id', 'e.stream_id')}
          GROUP BY e.stream_id, c.version HAVING c.version IS DISTINCT FROM max(e.version)`,
        params,
      )
    ).rows.map((r) => r.stream_id);
    const [{ events, streams }] = (
      await client.query<{ events: number; streams: number }>(
        `SELECT count(*)::int AS events, count(DISTINCT stream_id)::int AS streams FROM events WHERE true ${scope}`,
        params,
      )
    ).rows as [{ events: number; streams: number }];
    return { lost, duplicated, gaps, unfinalised, staleViews, events, streams };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Every stored event (id, stream, type), for the Kafka checks. */
export async function storedEvents(databaseUrl: string): Promise<{ event_id: string; stream_id: string; type: string; version: number }[]> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query('SELECT event_id::text AS event_id, stream_id, type, version FROM events ORDER BY position')).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Events not yet on Kafka: call events after the relay checkpoint, and outbox rows. */
export async function outboxLag(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query<RelayBacklog>(RELAY_BACKLOG_SQL)).rows[0]!.events;
  } finally {
    await client.end().catch(() => undefined);
  }
}


/** The sender's anomalies every fault run plays on top of the fault itself. */
export const FAULT_RUN_ANOMALIES = { duplicate: 0.1, reorder: 0.1, cdrFirst: 0.05, lostStatus: 0.05, missingCdr: 0.05, unitMixup: 0.05 };

export { eventually, sleep } from './poll.js';

/** The first status push of the call `callId`, straight over HTTP: a fault test's probe. */
export function postProbePush(serviceUrl: string, callId: string, timeoutMs: number): Promise<Response> {
  return fetch(`${serviceUrl}/v1/push/status`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      accountId: 'acc-faults',
      callId,
      serviceType: 100,
      caller: '13100001111',
      callee: '13100002222',
      eventType: 1,
      eventTime: String(Math.floor(Date.now() / 1000)),
    }),
    signal: AbortSignal.timeout(timeoutMs),
  });
}

export interface FaultFigures {
  /** pushes the sender had to deliver (duplicate-anomaly copies included) */
  sent: number;
  /** distinct pushes answered 2xx on some try */
  acknowledged: number;
  lost: number;
  duplicated: number;
  [more: string]: unknown;
}

/** The figures every simulated fault run reports first: what was sent, acknowledged, lost, stored twice. */
export function storeFigures(summary: { sent: number }, ledger: PushLedger, check: StoreCheck): FaultFigures {
  return { sent: summary.sent, acknowledged: ledger.acknowledged.size, lost: check.lost.length, duplicated: check.duplicated.length };
}

/** One line per test, greppable: `[faults] <name> sent=… acknowledged=… lost=0 duplicated=0 …` */
export function reportFigures(name: string, figures: FaultFigures): void {
  const text = Object.entries(figures)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  console.info(`[faults] ${name}: ${text}`);
}

/** GET → parsed JSON (or null on 404). */
export async function getJson(url: string, timeoutMs = 5_000): Promise<HttpAnswer> {
  return answerOf(await fetch(url, { signal: AbortSignal.timeout(timeoutMs) }));
}
