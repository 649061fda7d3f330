// Principle 2 (DESIGN §1) through the whole stack: the property test of the domain
// (call-session.property.spec.ts) folds commands in memory; here the same promise is held by
// HTTP, the group commit, the session cache, two instances on one database and Postgres.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { planCall, NO_ANOMALIES, type AnomalyRates } from '../../apps/push-simulator/src/anomalies.js';
import { drawCallKind, generateCallFlow } from '../../apps/push-simulator/src/call-flow.generator.js';
import { DEFAULT_MIX } from '../../apps/push-simulator/src/call-mix.js';
import { Prng } from '../../apps/push-simulator/src/prng.js';
import type { Push } from '../../apps/push-simulator/src/push.js';
import { comparableView } from '../../libs/testing/src/apply-all.js';
import { createTempDatabase, type TempDatabase } from '../../libs/event-store/src/testing/temp-database.js';
import { startTestService, type TestService } from '../support/test-service.js';
import { getCall, getHistory, type WireBody } from '../support/wire-pushes.js';

const CALLS_PER_RUN = 24;
const IN_FLIGHT = 24;
/** what changes a call's content, not its arrival: arrival is this test's own business */
const CONTENT_ANOMALIES: AnomalyRates = { ...NO_ANOMALIES, lostStatus: 0.2, missingCdr: 0.1, unitMixup: 0.1 };

interface CallPushes {
  callId: string;
  /** as the platform emits them */
  pushes: Push[];
}

/** A call of the simulator, sometimes with its CDR revised (later or same cdrCreateTime). */
function callOf(prng: Prng, seq: number, runId: string): CallPushes {
  const flow = generateCallFlow(prng, seq, drawCallKind(prng, DEFAULT_MIX), { runId, baseTimeMs: Date.UTC(2026, 10, 1) });
  const { pushes } = planCall(prng, flow, CONTENT_ANOMALIES);
  const cdr = pushes.find((p) => p.kind === 'cdr');
  if (cdr && prng.chance(0.25)) {
    const body = cdr.body;
    const later = prng.chance(0.5) ? 60_000 : 0;
    pushes.push({ ...cdr, body: { ...body, callDuration: Number(body['callDuration']) + 7, cdrCreateTime: Number(body['cdrCreateTime']) + later } });
  }
  return { callId: flow.callId, pushes };
}

const withCallId = (body: WireBody, callId: string): WireBody => ({ ...body, callId });

/**
 * Sends a push until it is acknowledged, as the platform does: a 503 is retried (two instances
 * writing one call at once can exhaust one's conflict retries: "the call is being written by
 * another instance; retry later"), anything else but a 200 fails the test.
 */
async function accepted(service: TestService, push: Push, callId: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const answer = await service.post(`/v1/push/${push.kind}`, withCallId(push.body, callId));
    if (answer.status === 200 && answer.body?.accepted === true) return;
    if (answer.status !== 503 || attempt === 10) {
      throw new Error(`${push.label} of ${callId}, try ${attempt}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
  }
}

/** Runs every task with at most `limit` in flight. */
async function inFlight(limit: number, tasks: Array<() => Promise<void>>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/** The view without what depends on arrival (as the domain's property compares) and without the callId. */
const comparable = (view: any): unknown => {
  const { callId: _c, ...rest } = comparableView(view) as Record<string, unknown>;
  return rest;
};

/** Each push stored once: the push events of a call's history, as a sorted list of what they recorded. */
const storedPushes = (history: any[]): string[] =>
  history
    .filter((e) => e.type === 'StatusRecorded' || e.type === 'CdrRecorded')
    .map((e) => JSON.stringify({ type: e.type, push: { ...e.data.push, callId: undefined } }))
    .sort();

describe('arrival order through the whole stack (two instances, one database)', () => {
  let db: TempDatabase;
  let a: TestService;
  let b: TestService;

  beforeAll(async () => {
    db = await createTempDatabase();
    // one after the other: the first one runs the migrations
    a = await startTestService({}, { database: db });
    b = await startTestService({}, { database: db });
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  test('pushes sent shuffled, retried and concurrently to either instance give the view of the same pushes sent in order', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
        const prng = new Prng(seed);
        const runId = `AO${++run}x${seed.toString(36)}`;
        const calls = Array.from({ length: CALLS_PER_RUN }, (_, seq) => callOf(prng, seq, runId));

        // in order, one push at a time, to one instance
        for (const call of calls) for (const push of call.pushes) await accepted(a, push, `${call.callId}-in-order`);

        // every call's pushes, with retries (up to three copies), shuffled together, many in
        // flight at once, each try to either instance: the same call's pushes meet in one group
        // commit, in two instances' commits at once, and in caches that are behind
        const tries = prng.shuffle(
          calls.flatMap((call) =>
            call.pushes.flatMap((push) =>
              Array.from({ length: prng.pick([1, 1, 2, 3]) }, () => () => accepted(prng.chance(0.5) ? a : b, push, `${call.callId}-shuffled`)),
            ),
          ),
        );
        await inFlight(IN_FLIGHT, tries);

        for (const call of calls) {
          const [inOrder, shuffled] = [await getCall(a, `${call.callId}-in-order`), await getCall(b, `${call.callId}-shuffled`)];
          expect({ callId: call.callId, view: comparable(shuffled) }).toEqual({ callId: call.callId, view: comparable(inOrder) });
          const [inOrderHistory, shuffledHistory] = [await getHistory(a, `${call.callId}-in-order`), await getHistory(a, `${call.callId}-shuffled`)];
          expect(storedPushes(shuffledHistory)).toEqual(storedPushes(inOrderHistory));
        }
      }),
      { numRuns: 4 },
    );
  });
});
