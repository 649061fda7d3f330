import { describe, expect, test } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { CallSessionWriter } from '../../write/call-session.writer.js';
import { FlagOverdueCalls } from './flag-overdue-calls.command.js';
import { FLAGS_AT_ONCE, FlagOverdueCallsHandler } from './flag-overdue-calls.handler.js';

/** A read model with these candidates, and a writer that flags each call a tick later (or fails it). */
function handlerWith(callIds: string[], failing = new Set<string>()) {
  const db = { query: async () => callIds.map((call_id) => ({ call_id })) } as unknown as DataSource;
  const seen = { started: [] as string[], inFlight: 0, mostAtOnce: 0 };
  const writer = {
    execute: async ({ callId }: { callId: string }) => {
      seen.started.push(callId);
      seen.mostAtOnce = Math.max(seen.mostAtOnce, ++seen.inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      seen.inFlight -= 1;
      if (failing.has(callId)) throw new Error(`Postgres away at ${callId}`);
      return { events: [{ type: 'CdrOverdueFlagged' }] };
    },
  } as unknown as CallSessionWriter;
  return { handler: new FlagOverdueCallsHandler(db, writer), seen };
}

const calls = (n: number) => Array.from({ length: n }, (_, i) => `call-${i}`);

describe('FlagOverdueCallsHandler', () => {
  test(`flags a page's calls ${FLAGS_AT_ONCE} at a time, not one by one (each alone was a read and a commit of its own)`, async () => {
    const { handler, seen } = handlerWith(calls(70));
    expect(await handler.execute(new FlagOverdueCalls(Date.now(), 2_000))).toEqual({ examined: 70, flagged: 70 });
    expect(seen.mostAtOnce).toBe(FLAGS_AT_ONCE);
    expect(seen.started).toEqual(calls(70));
  });

  test('a failure ends the page after its group (the next sweep goes on), and the rest of that group is still flagged', async () => {
    const { handler, seen } = handlerWith(calls(70), new Set(['call-40']));
    await expect(handler.execute(new FlagOverdueCalls(Date.now(), 2_000))).rejects.toThrow('Postgres away at call-40');
    expect(seen.started).toEqual(calls(2 * FLAGS_AT_ONCE));
  });
});
