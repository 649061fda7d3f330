import { describe, expect, test } from '@jest/globals';
import { PeriodicTask } from './periodic-task.js';

describe('PeriodicTask', () => {
  test('never two runs at once, goes on after a failing run, and stop() waits for the run in progress', async () => {
    const periodic = new PeriodicTask();
    let running = 0;
    let most = 0;
    let runs = 0;
    let release!: () => void;
    periodic.start(5, async () => {
      running += 1;
      most = Math.max(most, running);
      runs += 1;
      // the first run fails; the third stays open until the test lets it go
      if (runs === 1) {
        running -= 1;
        throw new Error('boom');
      }
      if (runs === 3) await new Promise<void>((resolve) => (release = resolve));
      else await new Promise((r) => setTimeout(r, 20)); // longer than the interval
      running -= 1;
    });
    while (runs < 3) await new Promise((r) => setTimeout(r, 5));
    let stopped = false;
    const stopping = periodic.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(stopped).toBe(false); // the third run is still going
    release();
    await stopping;
    expect(most).toBe(1);
    expect(runs).toBe(3); // no run after stop()
  });
});
