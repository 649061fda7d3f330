import { describe, expect, test } from '@jest/globals';
import { Registry } from 'prom-client';
import { EventStore, type AppendRequest, type StoredEvent } from '#event-store';
import { aCdrPush, aStatusPush, forceFinalise, recordCdr, recordStatus, T0 } from '#testing';
import { CallSessionWriter } from './call-session.writer.js';
import { CommitMetrics } from './commit.metrics.js';
import type { FollowUpPolicy } from './follow-up.policy.js';

/** Appends are held until released, then fail while `away` is set (Postgres unreachable). */
class OutageStore extends EventStore {
  attempts = 0;
  away = false;
  /** what an append throws while `away` */
  failure = () => new Error('timeout exceeded when trying to connect');
  /** streams read (readStreams), one entry per stream */
  readonly reads: string[] = [];
  private held: Array<() => void> = [];

  async append(request: AppendRequest): Promise<StoredEvent[]> {
    return (await this.appendMany([request]))[0]!;
  }

  async appendMany(requests: AppendRequest[]): Promise<StoredEvent[][]> {
    this.attempts += 1;
    await new Promise<void>((resolve) => this.held.push(resolve));
    if (this.away) throw this.failure();
    return requests.map((r) =>
      r.events.map((e, i) => ({ ...e, eventId: `${r.streamId}-${r.expectedVersion + i}`, position: '0', streamId: r.streamId, version: r.expectedVersion + i + 1, recordedAt: new Date(0) })),
    );
  }

  /** lets the held appends go on (and the next ones, once they arrive) */
  async release(): Promise<void> {
    for (let i = 0; i < 5; i++) {
      for (const go of this.held.splice(0)) go();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async readStream(): Promise<StoredEvent[]> {
    return [];
  }
  async readStreams(ids: readonly string[]): Promise<Map<string, StoredEvent[]>> {
    this.reads.push(...ids);
    return new Map(ids.map((id) => [id, []]));
  }
  async readAll(): Promise<StoredEvent[]> {
    return [];
  }
}

const noFollowUps: FollowUpPolicy = { after: () => [] };
const writerOn = (store: EventStore) => new CallSessionWriter(store, noFollowUps, { sessionCacheSize: 100 }, new CommitMetrics(new Registry()));
const status = (callId: string, eventType: number) => recordStatus(aStatusPush({ callId, eventType, eventTime: T0 + eventType }));

describe('CallSessionWriter while Postgres is away', () => {
  test("a call's command that waited behind one that found Postgres away fails with it, without an attempt of its own", async () => {
    // The platform retries a 503 at once while the call's next push is already on its way: the two
    // meet in the call's queue. Without this the second would wait for the first's connect timeout
    // and then for its own, past the sender's 3 s try.
    const store = new OutageStore();
    const writer = writerOn(store);
    store.away = true;
    const first = writer.execute(status('call-1', 1));
    const second = writer.execute(status('call-1', 2));
    const settled = Promise.allSettled([first, second]);
    await store.release();
    expect((await settled).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(second).rejects.toThrow('timeout exceeded when trying to connect');
    expect(store.attempts).toBe(1);

    // a command that did not wait tries again, and gets through once Postgres is back
    store.away = false;
    const third = writer.execute(status('call-1', 2));
    await store.release();
    expect((await third).events.map((e) => e.type)).toEqual(['StatusRecorded']);
    expect(store.attempts).toBe(2);
  });

  test("other calls' commands are not touched: one that did not wait makes its own attempt", async () => {
    const store = new OutageStore();
    const writer = writerOn(store);
    store.away = true;
    const first = writer.execute(status('call-1', 1));
    const failed = expect(first).rejects.toThrow('timeout exceeded');
    await store.release();
    await failed;
    store.away = false;
    const other = writer.execute(status('call-2', 1));
    await store.release();
    expect((await other).outcome).toBe('applied');
    expect(store.attempts).toBe(2);
  });
});

describe('CallSessionWriter after a statement timeout or an outage', () => {
  const statementTimeout = () => Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });

  test("a call's command that waited behind one that hit the statement timeout fails with it, without an attempt of its own", async () => {
    // a lock held elsewhere, most likely on this call: an attempt would wait as long again, past
    // the sender's 3 s try (four pushes of one call behind a locked events table answered after
    // 1.5, 3.0, 4.5 and 6.0 s)
    const store = new OutageStore();
    const writer = writerOn(store);
    store.away = true;
    store.failure = statementTimeout;
    const first = writer.execute(status('call-1', 1));
    const second = writer.execute(status('call-1', 2));
    const third = writer.execute(status('call-1', 3));
    const settled = Promise.allSettled([first, second, third]);
    await store.release();
    await store.release(); // lets any attempt the others made end too
    expect((await settled).map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    await expect(third).rejects.toThrow('statement timeout');
    expect(store.attempts).toBe(1);

    // a command that did not wait tries again, and gets through once the lock is gone
    store.away = false;
    const fourth = writer.execute(status('call-1', 2));
    await store.release();
    expect((await fourth).events.map((e) => e.type)).toEqual(['StatusRecorded']);
    expect(store.attempts).toBe(2);
  });

  test.each([
    // the database reached next may have lost the last commits (a failover)
    ['an outage: every cached state is read again', () => new Error('timeout exceeded when trying to connect'), ['call-a', 'call-b', 'call-a']],
    ["a statement timeout: the other calls' cached states are kept", statementTimeout, ['call-a', 'call-b']],
  ])('after %s', async (_, failure, reads) => {
    const store = new OutageStore();
    const writer = writerOn(store);
    const cached = writer.execute(status('call-a', 1));
    await store.release();
    await cached;

    store.failure = failure;
    store.away = true;
    const failed = expect(writer.execute(status('call-b', 1))).rejects.toThrow();
    await store.release();
    await failed;
    store.away = false;
    const next = writer.execute(status('call-a', 2));
    await store.release();
    await next;
    expect(store.reads).toEqual(reads);
  });
});

/** Each append waits until the test opens its call; an opened call in `away` fails as Postgres being away would. */
class PerCallStore extends OutageStore {
  readonly waiting = new Map<string, () => void>();
  readonly down = new Set<string>();

  override async appendMany(requests: AppendRequest[]): Promise<StoredEvent[][]> {
    const call = requests[0]!.streamId;
    await new Promise<void>((resolve) => this.waiting.set(call, resolve));
    if (this.down.has(call)) throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    return requests.map((r) =>
      r.events.map((e, i) => ({ ...e, eventId: `${r.streamId}-${r.expectedVersion + i}`, position: '0', streamId: r.streamId, version: r.expectedVersion + i + 1, recordedAt: new Date(0) })),
    );
  }

  async open(call: string): Promise<void> {
    for (let i = 0; i < 200 && !this.waiting.has(call); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    const go = this.waiting.get(call);
    if (!go) throw new Error(`no append of ${call} came`);
    this.waiting.delete(call);
    go();
  }
}

describe('CallSessionWriter: a storage failure of another call', () => {
  test("does not fail a command that waited behind its own call's successful one", async () => {
    const store = new PerCallStore();
    const writer = writerOn(store);
    const y1 = writer.execute(status('call-y', 1));
    const y2 = writer.execute(status('call-y', 2)); // waits behind y1
    const z1 = writer.execute(status('call-z', 1));
    store.down.add('call-z');
    await store.open('call-z'); // one reset connection, on call-z's commit
    await expect(z1).rejects.toThrow('ECONNRESET');
    await store.open('call-y');
    expect((await y1).outcome).toBe('applied');
    await store.open('call-y'); // before: y2 was failed with call-z's error, without an attempt
    expect((await y2).outcome).toBe('applied');
  });
});

describe('CallSessionWriter: the metadata of the events it appends', () => {
  test("each event carries the call's accountId as of its commit, so its Kafka envelope never changes later", async () => {
    const store = new OutageStore();
    const writer = writerOn(store);
    const appended = async (command: Parameters<CallSessionWriter['execute']>[0]) => {
      const result = writer.execute(command);
      await store.release();
      return (await result).events.map((e) => e.metadata.accountId);
    };
    expect(await appended(recordStatus(aStatusPush({ callId: 'call-acc', accountId: 'acc-status' })))).toEqual(['acc-status']);
    // the view takes the CDR's account once it came: from then on the events carry that one
    expect(await appended(recordCdr(aCdrPush({ callId: 'call-acc', accountId: 'acc-cdr' })))).toEqual(['acc-cdr']);
  });
});

describe('CallSessionWriter: a callId Postgres cannot hold', () => {
  test('finds no call without reading: its read would fail the reads of the other calls batched with it', async () => {
    const read: string[][] = [];
    const store = new (class extends OutageStore {
      override async readStreams(ids: readonly string[]): Promise<Map<string, StoredEvent[]>> {
        read.push([...ids]);
        return super.readStreams(ids);
      }
    })();
    const result = await writerOn(store).execute(forceFinalise('a\u0000b'));
    expect(result).toMatchObject({ outcome: 'rejected', events: [], state: { version: 0 } });
    expect(read).toEqual([]);
    expect(store.attempts).toBe(0);
  });
});

describe('CallSessionWriter: the session cache', () => {
  test('holds 8 KiB of pushes per call it may hold: a call past that is read again, not kept', async () => {
    const store = new OutageStore();
    const writer = new CallSessionWriter(store, noFollowUps, { sessionCacheSize: 1 }, new CommitMetrics(new Registry()));
    const push = async (n: number, caller?: string) => {
      const result = writer.execute(recordStatus(aStatusPush({ callId: 'call-long', eventType: 2, eventTime: T0 + n * 1000, ...(caller ? { caller } : {}) })));
      await store.release();
      expect((await result).outcome).toBe('applied');
    };
    for (let n = 1; n <= 6; n++) await push(n);
    expect(store.reads).toEqual(['call-long']); // cached after its first read: six statuses fit
    await push(7, 'x'.repeat(8 * 1024)); // one push of 8 KiB: the call is over its share, not kept
    await push(8);
    expect(store.reads).toEqual(['call-long', 'call-long']);
  });
});
