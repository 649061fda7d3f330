import { describe, expect, test } from '@jest/globals';
import { LatencyRecorder, formatWorstSeconds } from './latency-recorder.js';

describe('LatencyRecorder', () => {
  test('the worst seconds: by slowest answer, slowest first, at most three, with their counts', () => {
    const r = new LatencyRecorder();
    // second 0: 3 answers, slowest 12; second 1: 2, slowest 980; second 4: 1, slowest 40; second 7: 2, slowest 300
    for (const [ms, at] of [[5, 10], [12, 400], [7, 999], [980, 1_000], [3, 1_999], [40, 4_500], [300, 7_000], [2, 7_001]] as const) {
      r.record(ms, at);
    }
    expect(r.summary().worstSeconds).toEqual([
      { second: 1, count: 2, max: 980 },
      { second: 7, count: 2, max: 300 },
      { second: 4, count: 1, max: 40 },
    ]);
    expect(formatWorstSeconds(r.summary().worstSeconds)).toBe('1 s: 980 ms (n=2), 7 s: 300 ms (n=2), 4 s: 40 ms (n=1)');
  });

  test('samples recorded without their time count in the percentiles, not in the seconds', () => {
    const r = new LatencyRecorder();
    r.record(10);
    r.record(20);
    expect(r.summary()).toMatchObject({ count: 2, max: 20, worstSeconds: [] });
    expect(formatWorstSeconds([])).toBe('—');
  });
});
