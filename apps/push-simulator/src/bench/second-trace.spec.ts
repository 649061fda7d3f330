import { describe, expect, test } from '@jest/globals';
import {
  commitsBetween,
  cpuShares,
  eventLoopMaxMs,
  formatServiceAck,
  formatWorstSecondsTraced,
  histogramBuckets,
  serviceAckBounds,
} from './second-trace.js';
import { parseCpuLine } from './process-stats.js';

const PROC_STAT = `cpu  295334 10 31082 330608 4469 5 9431 219 0 0
cpu0 147000 5 15000 165000 2200 2 4700 100 0 0
intr 1234 0 0
`;

describe('second trace', () => {
  test('reads the aggregate cpu line: busy is user to softirq; steal and iowait apart', () => {
    expect(parseCpuLine(PROC_STAT)).toEqual({
      busy: 295334 + 10 + 31082 + 5 + 9431,
      iowait: 4469,
      steal: 219,
      total: 295334 + 10 + 31082 + 5 + 9431 + 330608 + 4469 + 219,
    });
    expect(() => parseCpuLine('intr 1\n')).toThrow(/no aggregate cpu line/);
  });

  test('shares of one interval, in % of all the CPU time in it', () => {
    const before = { busy: 1000, iowait: 10, steal: 5, total: 2000 };
    const after = { busy: 1150, iowait: 30, steal: 15, total: 2200 };
    expect(cpuShares(before, after)).toEqual({ busyPercent: 75, iowaitPercent: 10, stealPercent: 5 });
    expect(cpuShares(before, before)).toEqual({ busyPercent: 0, iowaitPercent: 0, stealPercent: 0 });
  });

  test("the event loop's max delay from prom-client's exposition, in ms", () => {
    const text = [
      '# HELP nodejs_eventloop_lag_max_seconds The maximum recorded event loop delay.',
      '# TYPE nodejs_eventloop_lag_max_seconds gauge',
      'nodejs_eventloop_lag_max_seconds 0.181403647',
      'nodejs_eventloop_lag_p99_seconds 0.020512767',
    ].join('\n');
    expect(eventLoopMaxMs(text)).toBe(181.4);
    expect(eventLoopMaxMs('nodejs_eventloop_lag_max_seconds{app="x"} 1e-3\n')).toBe(1);
    expect(eventLoopMaxMs('nodejs_eventloop_lag_p99_seconds 0.02\n')).toBeNull();
  });

  test("a histogram's cumulative buckets, and the commits between two readings with the slowest one's bound", () => {
    const reading = (counts: number[]) =>
      [0.002, 0.005, 0.01, 0.02, 0.05]
        .map((le, i) => `voice_push_commit_seconds_bucket{le="${le}"} ${counts[i]}`)
        .concat(`voice_push_commit_seconds_bucket{le="+Inf"} ${counts[5]}`, 'voice_push_commit_seconds_sum 1.5', `voice_push_commit_seconds_count ${counts[5]}`)
        .join('\n');
    const before = histogramBuckets(reading([10, 50, 90, 100, 100, 100]), 'voice_push_commit_seconds');
    expect(before.get(0.005)).toBe(50);
    expect(before.get(Infinity)).toBe(100);
    expect(before.size).toBe(6);
    // 30 more: 5 under 2 ms, 20 more under 10 ms, the slowest under 50 ms
    const after = histogramBuckets(reading([15, 60, 115, 125, 130, 130]), 'voice_push_commit_seconds');
    expect(commitsBetween(before, after)).toEqual({ count: 30, slowestUnderMs: 50 });
    expect(commitsBetween(before, before)).toEqual({ count: 0, slowestUnderMs: null });
    const beyond = histogramBuckets(reading([10, 50, 90, 100, 100, 101]), 'voice_push_commit_seconds');
    expect(commitsBetween(before, beyond)).toEqual({ count: 1, slowestUnderMs: Infinity });
    expect(histogramBuckets('voice_push_ack_seconds_bucket{le="0.01",kind="status"} 3', 'voice_push_commit_seconds').size).toBe(0);
  });

  test("the service's own ack times over a phase: every kind summed, bounds for half and 99 %, the share within 50 ms", () => {
    const bounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];
    const reading = (status: number[], cdr: number[]) =>
      (['status', 'cdr'] as const)
        .flatMap((kind) => {
          const counts = kind === 'status' ? status : cdr;
          return bounds
            .map((le, i) => `voice_push_ack_seconds_bucket{le="${le}",kind="${kind}"} ${counts[i]}`)
            .concat(`voice_push_ack_seconds_bucket{le="+Inf",kind="${kind}"} ${counts[7]}`);
        })
        .join('\n');
    const before = histogramBuckets(reading([0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]), 'voice_push_ack_seconds');
    // 1,000 pushes: 600 status ≤ 5 ms, 380 ≤ 25 ms (300 status, 80 CDR), 15 ≤ 50 ms, 5 ≤ 100 ms
    const after = histogramBuckets(
      reading([0, 100, 600, 800, 900, 912, 915, 915], [0, 0, 0, 0, 80, 83, 85, 85]),
      'voice_push_ack_seconds',
    );
    expect(after.get(0.025)).toBe(980);
    const ack = serviceAckBounds(before, after);
    expect(ack).toEqual({ count: 1000, p50UnderMs: 5, p99UnderMs: 50, within50MsPercent: 99.5 });
    expect(formatServiceAck(ack)).toBe('p50 ≤ 5 ms, p99 ≤ 50 ms, 99.5 % within 50 ms (n=1000)');
    // differences, not totals: the same readings give nothing new
    expect(serviceAckBounds(after, after)).toEqual({ count: 0, p50UnderMs: null, p99UnderMs: null, within50MsPercent: null });
    expect(formatServiceAck(serviceAckBounds(after, after))).toBe('—');
    expect(formatServiceAck(null)).toBe('—');
    // 2 of 100 beyond the last bound: the p99 is too
    const tail = histogramBuckets(reading([0, 0, 98, 98, 98, 98, 98, 100], [0, 0, 0, 0, 0, 0, 0, 0]), 'voice_push_ack_seconds');
    expect(formatServiceAck(serviceAckBounds(before, tail))).toBe('p50 ≤ 5 ms, p99 over the last bound, 98 % within 50 ms (n=100)');
  });

  test('each slowest second with what was traced in it', () => {
    const traced = [
      { second: 3, busyPercent: 97.4, iowaitPercent: 0, stealPercent: 1.6, eventLoopMaxMs: 180.2, generatorLoopMaxMs: 12.4, commits: { count: 40, slowestUnderMs: 200 } },
      { second: 4, busyPercent: 60, iowaitPercent: 22, stealPercent: 0, eventLoopMaxMs: null, generatorLoopMaxMs: 95.6, commits: null },
    ];
    expect(
      formatWorstSecondsTraced(
        [
          { second: 3, count: 1167, max: 272.4 },
          { second: 4, count: 1100, max: 81 },
          { second: 9, count: 1000, max: 40 },
        ],
        traced,
      ),
    ).toBe(
      '3 s: 272 ms (n=1167; 40 commits (slowest ≤ 200 ms), event loop 180 ms, generator\'s 12 ms, CPU 97 %, iowait 0 %, steal 2 %), ' +
        '4 s: 81 ms (n=1100; generator\'s 96 ms, CPU 60 %, iowait 22 %, steal 0 %), 9 s: 40 ms (n=1000; not traced)',
    );
    expect(formatWorstSecondsTraced([], traced)).toBe('—');
  });
});
