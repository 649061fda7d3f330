import { describe, expect, test } from '@jest/globals';
import { EventStore, WrongExpectedVersionError, type AlsoWrite, type AppendRequest, type StoredEvent } from '#event-store';
import { CommitBatcher } from './commit-batcher.js';

/** An in-memory store that records each transaction and fails the ones it is told to. */
class RecordingStore extends EventStore {
  readonly transactions: string[][] = [];
  failWhen: (streams: string[]) => Error | null = () => null;
  private release: (() => void) | null = null;
  hold = false;
  /** appendMany calls, failed ones included */
  attempts = 0;

  async append(request: AppendRequest): Promise<StoredEvent[]> {
    return (await this.appendMany([request]))[0];
  }

  readonly alsoWritten: unknown[][] = [];

  async appendMany(requests: AppendRequest[], alsoWrite?: AlsoWrite) {
    const streams = requests.map((r) => r.streamId);
    this.attempts += 1;
    if (this.hold) await new Promise<void>((resolve) => (this.release = resolve));
    const error = this.failWhen(streams);
    if (error) throw error;
    this.transactions.push(streams);
    const stored = requests.map((r) => r.events.map((e, i) => ({ ...e, eventId: `${r.streamId}-${i}`, position: '0', streamId: r.streamId, version: r.expectedVersion + i + 1, recordedAt: new Date(0) })));
    if (alsoWrite) this.alsoWritten.push(alsoWrite.rows);
    return stored;
  }

  releaseHeld(): void {
    this.hold = false;
    this.release?.();
  }

  async readStream(): Promise<StoredEvent[]> {
    return [];
  }
  async readStreams(): Promise<Map<string, StoredEvent[]>> {
    return new Map();
  }
  async readAll(): Promise<StoredEvent[]> {
    return [];
  }
}

const request = (streamId: string): AppendRequest => ({
  streamId,
  expectedVersion: 0,
  events: [{ type: 'StatusRecorded', data: {}, metadata: {}, occurredAt: new Date(0) }],
});

/** A store whose appends stay open until the test settles them, in the order they started. */
class ManualStore extends RecordingStore {
  readonly started: string[][] = [];
  private readonly settle: Array<() => void> = [];

  override async appendMany(requests: AppendRequest[], alsoWrite?: AlsoWrite) {
    this.started.push(requests.map((r) => r.streamId));
    await new Promise<void>((resolve) => this.settle.push(resolve));
    return super.appendMany(requests, alsoWrite);
  }

  finish(index: number): void {
    this.settle[index]!();
  }
}

async function until(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('CommitBatcher', () => {
  test('appends that arrive during a commit go together in the next one, with one batch write', async () => {
    const store = new RecordingStore();
    const observed: Array<{ seconds: number; appends: number }> = [];
    const batcher = new CommitBatcher<string>(store, (extras) => ({ sql: 'upsert', rows: extras }), { observe: (seconds, appends) => observed.push({ seconds, appends }) });
    store.hold = true;
    const first = batcher.submit(request('a'), 'row-a');
    const rest = ['b', 'c', 'd'].map((s) => batcher.submit(request(s), `row-${s}`));
    store.releaseHeld();
    await Promise.all([first, ...rest]);
    expect(store.transactions).toEqual([['a'], ['b', 'c', 'd']]);
    expect(store.alsoWritten).toEqual([['row-a'], ['row-b', 'row-c', 'row-d']]);
    // each commit is reported once, with its size and a duration
    expect(observed.map((o) => o.appends)).toEqual([1, 3]);
    for (const o of observed) expect(o.seconds).toBeGreaterThanOrEqual(0);
  });

  test('beside a commit that runs long the next batch starts at once, and never more than two run', async () => {
    const store = new ManualStore();
    const batcher = new CommitBatcher<null>(store, () => ({ sql: 'upsert', rows: [] }), { overlapAfterMs: 20 });
    const a = batcher.submit(request('a'), null);
    const b = batcher.submit(request('b'), null);
    expect(store.started).toEqual([['a']]); // a commit of a few ms is waited for: b batches behind it
    await until('b to start beside the slow commit', () => store.started.length === 2);
    expect(store.started).toEqual([['a'], ['b']]);
    const cd = ['c', 'd'].map((s) => batcher.submit(request(s), null));
    await new Promise((r) => setTimeout(r, 60));
    expect(store.started).toHaveLength(2); // two running: c and d wait, together
    store.finish(0);
    await a;
    await until('c and d to start', () => store.started.length === 3);
    expect(store.started[2]).toEqual(['c', 'd']);
    store.finish(1);
    store.finish(2);
    await Promise.all([b, ...cd]);
    expect(store.transactions).toEqual([['a'], ['b'], ['c', 'd']]);
  });

  test('an observer that throws changes nothing: the batch is committed once and answered', async () => {
    const store = new RecordingStore();
    const batcher = new CommitBatcher<null>(store, () => ({ sql: 'upsert', rows: [] }), {
      observe: () => {
        throw new Error('metric broke');
      },
    });
    store.hold = true;
    const first = batcher.submit(request('a'), null);
    const rest = Promise.allSettled(['b', 'c'].map((s) => batcher.submit(request(s), null)));
    store.releaseHeld();
    await expect(first).resolves.toHaveLength(1);
    expect((await rest).map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(store.transactions).toEqual([['a'], ['b', 'c']]);
  });

  test('one bad request fails alone: its neighbours are committed one by one', async () => {
    const store = new RecordingStore();
    const batcher = new CommitBatcher<null>(store, () => ({ sql: 'upsert', rows: [] }));
    store.failWhen = (streams) => (streams.includes('bad') ? Object.assign(new Error('value out of range'), { code: '22003' }) : null);
    store.hold = true;
    const first = batcher.submit(request('a'), null);
    const results = Promise.allSettled(['b', 'bad', 'c'].map((s) => batcher.submit(request(s), null)));
    store.releaseHeld();
    await first;
    expect((await results).map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(store.transactions).toEqual([['a'], ['b'], ['c']]);
  });

  test('a conflict on one stream fails that append alone, and the rest go again as one batch, not one by one', async () => {
    const store = new RecordingStore();
    const batcher = new CommitBatcher<null>(store, () => ({ sql: 'upsert', rows: [] }));
    store.failWhen = (streams) => (streams.includes('b') ? new WrongExpectedVersionError('b', 0) : null);
    store.hold = true;
    const first = batcher.submit(request('a'), null);
    const results = Promise.allSettled(['b', 'c', 'd'].map((s) => batcher.submit(request(s), null)));
    store.releaseHeld();
    await first;
    const settled = await results;
    expect(settled.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect((settled[0] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError);
    expect(store.transactions).toEqual([['a'], ['c', 'd']]);
    expect(store.attempts).toBe(3); // [a], [b, c, d] (the conflict), [c, d]
  });

  test('conflicts on several streams fail those appends together: the rest go again once, not once per stale call', async () => {
    const store = new RecordingStore();
    const batcher = new CommitBatcher<null>(store, () => ({ sql: 'upsert', rows: [] }));
    const stale = ['b', 'd', 'e'];
    store.failWhen = (streams) => {
      const named = stale.filter((s) => streams.includes(s));
      return named.length > 0 ? new WrongExpectedVersionError(named[0]!, 0, named) : null;
    };
    store.hold = true;
    const first = batcher.submit(request('a'), null);
    const results = Promise.allSettled(['b', 'c', 'd', 'e', 'f'].map((s) => batcher.submit(request(s), null)));
    store.releaseHeld();
    await first;
    const settled = await results;
    expect(settled.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'rejected', 'fulfilled']);
    for (const [i, streamId] of [[0, 'b'], [2, 'd'], [3, 'e']] as const) {
      expect((settled[i] as PromiseRejectedResult).reason).toMatchObject({ name: 'WrongExpectedVersionError', streamId });
    }
    expect(store.transactions).toEqual([['a'], ['c', 'f']]);
    expect(store.attempts).toBe(3); // [a], [b, c, d, e, f] (the conflicts), [c, f]
  });

  test('the database being away fails the batch and the appends waiting behind it at once, without an attempt of their own', async () => {
    // In an outage each attempt waits for the pool's connect timeout (2 s): a push queued behind
    // a failing commit would wait for that one and then for its own, past the sender's 3 s try.
    const store = new RecordingStore();
    const batcher = new CommitBatcher<null>(store, () => ({ sql: 'upsert', rows: [] }));
    store.hold = true;
    const first = batcher.submit(request('a'), null);
    const waiting = Promise.allSettled(['b', 'c'].map((s) => batcher.submit(request(s), null)));
    store.failWhen = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    store.releaseHeld();
    await expect(first).rejects.toThrow('ECONNREFUSED');
    expect((await waiting).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(store.attempts).toBe(1);
    expect(store.transactions).toEqual([]);

    // the next append tries again: the database may be back
    store.failWhen = () => null;
    await batcher.submit(request('d'), null);
    expect(store.attempts).toBe(2);
    expect(store.transactions).toEqual([['d']]);
  });

  test('a statement timeout fails its batch alone: the appends queued behind it make their own attempt', async () => {
    const store = new RecordingStore();
    const batcher = new CommitBatcher<null>(store, () => ({ sql: 'upsert', rows: [] }));
    store.hold = true;
    const first = batcher.submit(request('a'), null);
    const queued = Promise.allSettled(['b', 'c'].map((s) => batcher.submit(request(s), null)));
    // a waited on a lock held elsewhere; b and c, queued behind it, are not held up by it
    store.failWhen = (streams) => (streams.includes('a') ? Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }) : null);
    store.releaseHeld();
    await expect(first).rejects.toThrow('statement timeout');
    expect((await queued).map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(store.transactions).toEqual([['b', 'c']]);
  });

  test('a second statement timeout in a row is a stall: the appends queued behind it fail at once, and a commit that goes through ends it', async () => {
    const store = new RecordingStore();
    const batcher = new CommitBatcher<null>(store, () => ({ sql: 'upsert', rows: [] }), { maxInFlight: 1, maxBatch: 1 });
    const timeout = () => Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
    store.failWhen = timeout;
    store.hold = true;
    const first = batcher.submit(request('a'), null);
    const second = batcher.submit(request('b'), null); // its own attempt after a's timeout
    const third = batcher.submit(request('c'), null); // queued behind b
    const settled = Promise.allSettled([first, second, third]);
    store.releaseHeld();
    expect((await settled).map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(store.attempts).toBe(2); // a, then b (the second timeout): c failed without an attempt

    store.failWhen = () => null;
    await batcher.submit(request('d'), null);
    await new Promise((r) => setImmediate(r)); // d's commit has ended: e goes alone, f waits behind it
    store.failWhen = (streams) => (streams.includes('e') ? timeout() : null);
    const results = Promise.allSettled(['e', 'f'].map((s) => batcher.submit(request(s), null)));
    expect((await results).map((r) => r.status)).toEqual(['rejected', 'fulfilled']); // one timeout after a commit: alone again
    expect(store.transactions.at(-1)).toEqual(['f']);
  });

  test('two batches that waited side by side and both timed out are not a stall: the one queued behind them tries', async () => {
    const store = new ManualStore();
    const batcher = new CommitBatcher<null>(store, () => ({ sql: 'upsert', rows: [] }), { maxBatch: 1 });
    store.failWhen = (streams) =>
      streams.includes('a') || streams.includes('b') ? Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }) : null;
    const settled = Promise.allSettled(['a', 'b', 'c'].map((s) => batcher.submit(request(s), null)));
    await until('b to start beside a', () => store.started.length === 2); // c queued behind both
    store.finish(0);
    store.finish(1);
    await until('c to start', () => store.started.length === 3);
    store.finish(2);
    expect((await settled).map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect(store.transactions).toEqual([['c']]);
  });

  test('a stall with two commits in flight: a batch that started after the first timeout and timed out too fails the queue', async () => {
    const store = new ManualStore();
    const batcher = new CommitBatcher<null>(store, () => ({ sql: 'upsert', rows: [] }), { maxBatch: 1 });
    store.failWhen = () => Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
    const settled = Promise.allSettled(['a', 'b', 'c', 'd', 'e'].map((s) => batcher.submit(request(s), null)));
    await until('b to start beside a', () => store.started.length === 2);
    store.finish(0); // a times out: c starts
    await until('c to start', () => store.started.length === 3);
    store.finish(1); // b, which waited beside a, times out: not yet a stall, d starts
    await until('d to start', () => store.started.length === 4);
    store.finish(2); // c started after a's timeout and timed out too: a stall, e fails without an attempt
    store.finish(3);
    expect((await settled).map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
    expect(store.started).toEqual([['a'], ['b'], ['c'], ['d']]);
  });

  test('the database found away while a failed batch is retried one by one fails the rest of it at once', async () => {
    const store = new RecordingStore();
    const batcher = new CommitBatcher<null>(store, () => ({ sql: 'upsert', rows: [] }));
    store.hold = true;
    const first = batcher.submit(request('a'), null);
    const results = Promise.allSettled(['b', 'bad', 'c'].map((s) => batcher.submit(request(s), null)));
    // the batch fails on a bad row; by the time it is retried one by one, Postgres is gone
    store.failWhen = (streams) => {
      if (streams.length > 1) return Object.assign(new Error('value out of range'), { code: '22003' });
      return streams[0] === 'a' ? null : new Error('timeout exceeded when trying to connect');
    };
    store.releaseHeld();
    await expect(first).resolves.toHaveLength(1);
    expect((await results).map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    // a, the batch of three, then b alone: bad and c make no attempt of their own
    expect(store.attempts).toBe(3);
  });
});
