// Principle 2 (DESIGN §1): the same pushes, in any order, with any duplicates, give the same view.
import { describe, test, expect } from '@jest/globals';
import fc from 'fast-check';
import {
  applyAll,
  applyAllWithLog,
  arrivalArbitrary,
  comparableView,
} from '../../../testing/src/index.js';
import { FINDING_CODES, toCallView } from '../index.js';
import { hasCdr, hasStatuses, isFinalised } from './call-session.state.js';
import { reconcile } from './reconciliation/reconcile.js';

const RUNS = { numRuns: 200 };

describe('call session — order and duplicates do not matter', () => {
  test('any permutation with retries gives the in-order view (modulo arrival-dependent fields)', () => {
    fc.assert(
      fc.property(arrivalArbitrary(), ({ inOrder, shuffled }) => {
        const expected = comparableView(toCallView(applyAll(inOrder)));
        const actual = comparableView(toCallView(applyAll(shuffled)));
        expect(actual).toEqual(expected);
      }),
      RUNS,
    );
  });

  test('finalised iff a CDR came; reconciled with the findings of all facts', () => {
    fc.assert(
      fc.property(arrivalArbitrary(), ({ flow, shuffled }) => {
        const { state } = applyAllWithLog(shuffled);
        expect(isFinalised(state)).toBe(flow.cdrs.length > 0);
        expect(hasCdr(state)).toBe(flow.cdrs.length > 0);
        expect(hasStatuses(state)).toBe(flow.statuses.length > 0);
        const view = toCallView(state);
        if (flow.cdrs.length > 0) {
          expect(view.status).toBe('FINALIZED');
          expect(view.callState).toBe('ENDED');
          expect(view.reconciliation.status).not.toBe('PENDING');
          // the stored reconciliation is that of the final facts: nothing was left unreconciled
          expect(view.reconciliation.findings).toEqual(reconcile(state));
        } else {
          expect(view.status).toBe('OPEN');
          expect(view.reconciliation.status).toBe('PENDING');
          expect(view.reconciliation.findings.every((f) => f.severity === 'info')).toBe(true);
        }
      }),
      RUNS,
    );
  });

  test('retries add nothing: every duplicate is reported as a duplicate and stores no event', () => {
    fc.assert(
      fc.property(arrivalArbitrary(), ({ flow, shuffled }) => {
        const { results } = applyAllWithLog(shuffled);
        const pushes = results.filter((r) => !r.followUp);
        const appliedPushes = pushes.filter((r) => r.result.outcome === 'applied').length;
        const duplicates = pushes.filter((r) => r.result.outcome === 'duplicate').length;
        expect(appliedPushes).toBe(flow.statuses.length + flow.cdrs.length);
        expect(duplicates).toBe(shuffled.length - appliedPushes);
        expect(pushes.some((r) => r.result.outcome === 'conflicting-duplicate' || r.result.outcome === 'rejected')).toBe(false);
      }),
      RUNS,
    );
  });

  test('the arrivals above exercise every reconciliation rule (a generator too narrow would prove little)', () => {
    const seen = new Set<string>();
    for (const { inOrder, shuffled } of fc.sample(arrivalArbitrary(), { numRuns: 3_000, seed: 7 })) {
      for (const run of [inOrder, shuffled]) for (const f of toCallView(applyAll(run)).reconciliation.findings) seen.add(f.code);
    }
    expect(FINDING_CODES.filter((code) => !seen.has(code))).toEqual([]);
  });

  test('the arrivals above are reordered, retried and CDR-first often (a generator that stopped would prove little)', () => {
    const pushOf = (c: { type: string }) => JSON.stringify((c as unknown as { push: unknown }).push, (k, v) => (k === 'notes' ? undefined : v));
    const samples = fc.sample(arrivalArbitrary(), { numRuns: 1_000, seed: 11 });
    const several = samples.filter(({ inOrder }) => inOrder.length >= 2);
    const reordered = several.filter(({ inOrder, shuffled }) => {
      const firstArrivals = [...new Set(shuffled.map(pushOf))];
      return firstArrivals.join('\n') !== inOrder.map(pushOf).join('\n');
    });
    const retried = samples.filter(({ inOrder, shuffled }) => shuffled.length > inOrder.length);
    const both = samples.filter(({ flow }) => flow.statuses.length > 0 && flow.cdrs.length > 0);
    const cdrFirst = both.filter(({ shuffled }) => shuffled[0]!.type === 'RecordCdr');
    expect(reordered.length / several.length).toBeGreaterThan(0.6);
    expect(retried.length / samples.length).toBeGreaterThan(0.5);
    expect(cdrFirst.length / both.length).toBeGreaterThan(0.1);
  });

  test('the in-order run has no late status and its version counts every event', () => {
    fc.assert(
      fc.property(arrivalArbitrary(), ({ inOrder }) => {
        const { state, events } = applyAllWithLog(inOrder);
        expect(state.version).toBe(events.length);
        expect(toCallView(state).events.some((e) => e.late)).toBe(false);
      }),
      RUNS,
    );
  });
});
