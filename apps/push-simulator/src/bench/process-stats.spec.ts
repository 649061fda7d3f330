import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { idlePercent, parseCpuLine, parseSchedStat, schedTimes, threadShare } from './process-stats.js';

describe('scheduling measures of the bench', () => {
  it('reads a thread schedstat: time on a core, time waiting for one', () => {
    expect(parseSchedStat('5762594863 3462934333 5375\n')).toEqual({ runNs: 5762594863, waitNs: 3462934333 });
    expect(parseSchedStat('')).toBeNull();
    expect(parseSchedStat('garbage')).toBeNull();
  });

  it('gives a thread its shares of a window from two readings', () => {
    const before = { runNs: 5_762_594_863, waitNs: 3_462_934_333 };
    const after = { runNs: 10_588_351_515, waitNs: 5_909_404_929 };
    // 4.83 s on a core and 2.45 s waiting, over 8 s
    expect(threadShare(before, after, 8)).toEqual({ runPercent: 60.3, waitPercent: 30.6 });
    expect(threadShare(null, after, 8)).toBeNull();
    expect(threadShare(before, null, 8)).toBeNull();
  });

  it('counts idle and iowait as idle, out of every tick of the cpu line', () => {
    const a = parseCpuLine('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n');
    expect(a).toEqual({ busy: 150, iowait: 50, steal: 0, total: 1000 });
    const b = parseCpuLine('cpu  400 0 150 1100 50 0 100 0 0 0\n');
    // 300 idle of 800 ticks
    expect(idlePercent(a, b)).toBe(37.5);
    expect(() => parseCpuLine('intr 1 2 3')).toThrow(/no aggregate cpu line/);
    expect(idlePercent(b, b)).toBeNull();
    expect(idlePercent(null, b)).toBeNull();
  });

  it('reads the running process own main thread, whose time on a core grows with work', () => {
    const before = schedTimes(process.pid);
    if (process.platform !== 'linux') {
      // no /proc: no schedstat, and the bench then reports "—", which the table allows
      expect(before).toBeNull();
      return;
    }
    // Linux keeps schedstat ("run wait timeslices"): a null here is a broken read or parse
    const raw = readFileSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, 'utf8');
    expect(raw).toMatch(/^\d+ \d+ \d+\n?$/);
    expect(before).not.toBeNull();
    const { runNs, waitNs } = before!;
    expect(runNs).toBeGreaterThan(0);
    let x = 0;
    for (let i = 0; i < 5_000_000; i++) x += Math.sqrt(i);
    const after = schedTimes(process.pid)!;
    expect(x).toBeGreaterThan(0);
    expect(after.runNs).toBeGreaterThan(runNs);
    expect(after.waitNs).toBeGreaterThanOrEqual(waitNs);
  });
});
