import { describe, expect, test } from '@jest/globals';
import type { CommandBus } from '@nestjs/cqrs';
import { loadConfig } from '../config/app-config.js';
import { CdrOverdueSweep } from './cdr-overdue.sweep.js';
import type { FlagOverdueCalls } from './commands/flag-overdue-calls/flag-overdue-calls.command.js';

/** A command bus whose every page is full and flags something: a backlog that never ends by itself. */
function endlessBacklog() {
  let pages = 0;
  const bus = {
    execute: async (command: FlagOverdueCalls) => {
      pages += 1;
      await new Promise((r) => setImmediate(r));
      return { examined: command.limit, flagged: 1 };
    },
  } as unknown as CommandBus;
  return { bus, pages: () => pages };
}

describe('CdrOverdueSweep', () => {
  test('a shutdown stops a sweep that is clearing a backlog between two pages instead of waiting for the backlog', async () => {
    const { bus, pages } = endlessBacklog();
    const sweep = new CdrOverdueSweep(bus, loadConfig({}));
    const running = sweep.sweep();
    while (pages() < 3) await new Promise((r) => setImmediate(r));
    await sweep.onApplicationShutdown();
    const at = pages();
    expect(await running).toBeGreaterThanOrEqual(3);
    expect(pages()).toBeLessThanOrEqual(at + 1); // at most the page in progress
  });
});
