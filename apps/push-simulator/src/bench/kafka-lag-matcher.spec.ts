import { describe, expect, it } from '@jest/globals';
import { KafkaLagMatcher } from './kafka-lag-matcher.js';

describe('KafkaLagMatcher', () => {
  it('records arrival minus acknowledgement when the acknowledgement is handed over first', () => {
    const m = new KafkaLagMatcher();
    m.track('SIM1', 1_000);
    expect(m.complete).toBe(false);
    m.onMessage('SIM1', 1_040);
    expect(m.complete).toBe(true);
    expect(m.result()).toMatchObject({ expected: 1, received: 1, lagMs: { count: 1, max: 40 } });
  });

  it('counts a view that arrived before its acknowledgement was handed over as lag from the acknowledgement, never negative', () => {
    const m = new KafkaLagMatcher();
    m.onMessage('SIM1', 1_010); // arrived while the acknowledgement was still on its way to this thread
    m.onMessage('SIM2', 900); // the broker was faster than the acknowledgement's timestamp
    m.track('SIM1', 1_000);
    m.track('SIM2', 950);
    expect(m.result()).toMatchObject({ expected: 2, received: 2, lagMs: { count: 2, max: 10 } });
    expect(m.result().lagMs.p50).toBe(0);
  });

  it('uses a call’s first view only, and its first acknowledgement only', () => {
    const m = new KafkaLagMatcher();
    m.track('SIM1', 1_000);
    m.track('SIM1', 1_500);
    m.onMessage('SIM1', 1_100);
    m.onMessage('SIM1', 2_000);
    expect(m.result()).toMatchObject({ expected: 1, received: 1, lagMs: { count: 1, max: 100 } });
  });

  it('ignores views of calls it was not asked about and leaves calls without a view incomplete', () => {
    const m = new KafkaLagMatcher();
    m.onMessage('other-service-call', 1_000);
    m.track('SIM1', 1_000);
    m.track('SIM2', 1_000);
    m.onMessage('SIM2', 1_005);
    expect(m.complete).toBe(false);
    expect(m.result()).toMatchObject({ expected: 2, received: 1, lagMs: { count: 1 } });
  });
});
