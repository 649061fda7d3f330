import { describe, expect, test } from '@jest/globals';
import { cpuShares, eventLoopMaxMs, formatWorstSecondsTraced, parseCpuLine } from './second-trace.js';

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

  test('each slowest second with what was traced in it', () => {
    const traced = [
      { second: 3, busyPercent: 97.4, iowaitPercent: 0, stealPercent: 1.6, eventLoopMaxMs: 180.2, generatorLoopMaxMs: 12.4 },
      { second: 4, busyPercent: 60, iowaitPercent: 22, stealPercent: 0, eventLoopMaxMs: null, generatorLoopMaxMs: 95.6 },
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
      '3 s: 272 ms (n=1167; event loop 180 ms, generator\'s 12 ms, CPU 97 %, iowait 0 %, steal 2 %), ' +
        '4 s: 81 ms (n=1100; generator\'s 96 ms, CPU 60 %, iowait 22 %, steal 0 %), 9 s: 40 ms (n=1000; not traced)',
    );
    expect(formatWorstSecondsTraced([], traced)).toBe('—');
  });
});
