import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  commandCallId,
  decide,
  evolve,
  evolveAll,
  initialState,
  toCallSessionEvent,
  toCallView,
  type CallSessionCommand,
  type CallSessionEvent,
  type CallSessionState,
  type DecideResult,
} from '#call-session-domain';
import { EventStore, WrongExpectedVersionError, type NewEvent, type StoredEvent } from '#event-store';
import { FollowUpPolicy } from './follow-up.policy.js';
import { KeyedSerialQueue } from './keyed-serial-queue.js';
import { SessionCache } from './session-cache.js';
import { approximateStateBytes } from './call-state-weight.js';
import { CommitBatcher } from './commit-batcher.js';
import { CommitMetrics } from './commit.metrics.js';
import { LoadBatcher } from './load-batcher.js';
import { finalizedViewMessages } from '../projections/call-events.outbox.js';
import { callRow, callRowsWithAppend, type CallRow } from '../projections/calls.projection.js';
import { OutboxRelayService } from '../../outbox-relay/outbox-relay.service.js';
import { APP_CONFIG } from '../../config/app-config.provider.js';
import { isDatabaseAway, isStorageUnavailable } from '../../database/storage-errors.js';
import { isStorableText } from '../../database/storable-text.js';
import type { AppConfig } from '../../config/app-config.js';

export interface WriteResult {
  callId: string;
  outcome: DecideResult['outcome'];
  reason?: string;
  events: StoredEvent[];
  state: CallSessionState;
}

/** What the ingestion adds to the events of a push: the push as it came over the wire. */
export interface WriteContext {
  rawPush?: unknown;
}

const MAX_CONFLICT_RETRIES = 5;
/** the longest pause before the first retry after a conflict; the nth waits up to n times it */
const CONFLICT_BACKOFF_MS = 10;
/**
 * The bytes the cache may hold, on average, per call it may hold (as approximateStateBytes counts
 * them, about JSON's: an ordinary call is ~3.5 KB there), shared by all: ordinary calls fill the
 * count first, while calls at the push limit, or with 64 KiB pushes, are held to
 * SESSION_CACHE_SIZE × 8 KiB in all (164 MB by default).
 */
const CACHED_BYTES_PER_CALL = 8 * 1024;
/** A process manager that keeps asking for more is a bug, not a long call. */
const MAX_FOLLOW_UPS = 8;

/**
 * The one way a call session changes: load, decide, evolve, let the process manager react
 * (reconciliation), then append the events, the read model and any outbox row in one
 * transaction. Only after that commit does the caller get an answer.
 */
@Injectable()
export class CallSessionWriter {
  private readonly logger = new Logger('CallSessionWriter');
  private readonly queue = new KeyedSerialQueue();
  private readonly cache: SessionCache<CallSessionState>;
  /** group commit; each append carries its `calls` row, written for the whole batch at once */
  private readonly batcher: CommitBatcher<CallRow>;
  /** cache misses (mostly new calls) read together */
  private readonly streams: LoadBatcher<StoredEvent[]>;
  constructor(
    private readonly store: EventStore,
    private readonly followUps: FollowUpPolicy,
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'sessionCacheSize'>,
    commits: CommitMetrics,
    /** present when Kafka is configured: woken after each commit, so an idle relay sends at once */
    @Optional() private readonly relay?: OutboxRelayService,
  ) {
    this.cache = new SessionCache(config.sessionCacheSize, {
      weigh: approximateStateBytes,
      maxWeight: config.sessionCacheSize * CACHED_BYTES_PER_CALL,
    });
    this.batcher = new CommitBatcher(store, callRowsWithAppend, { observe: (seconds, pushes) => commits.observe(seconds, pushes) });
    this.streams = new LoadBatcher((ids) => store.readStreams(ids), []);
  }

  execute(command: CallSessionCommand, context: WriteContext = {}): Promise<WriteResult> {
    const callId = commandCallId(command);
    // Text Postgres cannot hold (U+0000) names no call, and its stream read would fail the other
    // calls' reads batched with it: pushes never bring one (ingestion refuses it), an admin's
    // command may — it finds no call.
    if (!isStorableText(callId)) {
      return Promise.resolve({ callId, outcome: 'rejected', reason: `no call ${callId}`, events: [], state: initialState });
    }
    return this.queue.run(callId, (preceding) => {
      // The call's previous command, which this one waited behind, found Postgres away (the
      // platform's retry of one push and the call's next push overlap), or waited the statement
      // timeout on a lock (this call's row or stream, or another call's in the same group commit):
      // an attempt of its own would risk that wait again, past the sender's 3 s try (four pushes of
      // one call sent together while its events were locked answered after 1.5, 3.0, 4.5 and 6.0 s).
      // Answered 503 now, it is retried at once. The first command that did not wait tries again.
      // Only its own call's previous command counts: an unrelated call's failed batch (one reset
      // connection) says nothing of this one's chances.
      if (preceding && isStorageUnavailable(preceding.failed)) return Promise.reject(preceding.failed);
      return this.executeWithRetry(callId, command, context);
    });
  }

  /** Waits for every write already accepted (graceful shutdown). */
  drain(): Promise<void> {
    return this.queue.drain();
  }

  /** Forget cached states (after a rebuild or when another writer may have changed streams). */
  forgetCachedSessions(): void {
    this.cache.clear();
  }

  async load(callId: string): Promise<CallSessionState> {
    const cached = this.cache.get(callId);
    if (cached) return cached;
    const stored = await this.streams.load(callId);
    const state = evolveAll(initialState, stored.map(toCallSessionEvent));
    // "no such call" is not kept: another instance may create the call, and a command that found
    // it missing (an admin's force-finalise) would be told so again until the entry was evicted
    if (state.version > 0) this.cache.set(callId, state);
    return state;
  }

  private async executeWithRetry(callId: string, command: CallSessionCommand, context: WriteContext): Promise<WriteResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.executeOnce(callId, command, context);
      } catch (error) {
        this.cache.delete(callId);
        // Reached again, the database may be another (a failover) that lost what this instance
        // committed last: a cached state ahead of it would be written on as if it held them.
        if (isDatabaseAway(error)) this.cache.clear();
        if (!(error instanceof WrongExpectedVersionError) || attempt >= MAX_CONFLICT_RETRIES) throw error;
        this.logger.warn(`callId=${callId} another writer appended first; retrying (attempt ${attempt})`);
        // Writers of one call on several instances that retry at once collide again: a random pause,
        // longer each time, spreads them (a fault probe saw 20 racing pushes exhaust the retries).
        await sleep(Math.random() * CONFLICT_BACKOFF_MS * attempt);
      }
    }
  }

  private async executeOnce(callId: string, command: CallSessionCommand, context: WriteContext): Promise<WriteResult> {
    const before = await this.load(callId);
    const first = decide(before, command);
    if (first.events.length === 0) {
      return { callId, outcome: first.outcome, reason: first.reason, events: [], state: before };
    }

    const decided: { event: CallSessionEvent; command: CallSessionCommand }[] = [];
    let state = before;
    let commands: CallSessionCommand[] = [command];
    for (let round = 0; commands.length > 0; round++) {
      if (round > MAX_FOLLOW_UPS) throw new Error(`callId=${callId}: follow-up commands do not settle`);
      const next: CallSessionCommand[] = [];
      for (const current of commands) {
        const decision = current === command ? first : decide(state, current);
        for (const event of decision.events) {
          state = evolve(state, event);
          decided.push({ event, command: current });
        }
        next.push(...this.followUps.after(state, decision.events, current.metadata));
      }
      commands = next;
    }

    const after = state;
    const view = toCallView(after);
    const newEvents: NewEvent[] = decided.map(({ event, command: cause }) => ({
      type: event.type,
      data: event.data as unknown as Record<string, unknown>,
      metadata: {
        // the call's account as of this commit, fixed at append: the Kafka envelope's accountId is
        // the same on every send of the event (the call's own can change when its CDR comes)
        accountId: view.accountId,
        command: cause.type,
        receivedAt: new Date(cause.metadata.receivedAt).toISOString(),
        ...(cause.metadata.idempotencyKey ? { idempotencyKey: cause.metadata.idempotencyKey } : {}),
        ...(cause === command && context.rawPush !== undefined ? { rawPush: context.rawPush } : {}),
      },
      occurredAt: new Date(cause.metadata.receivedAt),
    }));

    const stored = await this.batcher.submit(
      {
        streamId: callId,
        expectedVersion: before.version,
        events: newEvents,
        outbox: (events) => finalizedViewMessages(callId, events, view),
      },
      callRow(callId, after, view),
    );
    this.cache.set(callId, after);
    this.relay?.poke();
    return { callId, outcome: first.outcome, reason: first.reason, events: stored, state: after };
  }
}
