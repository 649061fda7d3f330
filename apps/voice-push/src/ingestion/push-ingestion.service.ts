import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { invalidPushAnswer, validateCdrPush, validateStatusPush } from '#contracts';
import { RecordCdrPush } from '../call-sessions/commands/record-cdr-push/record-cdr-push.command.js';
import { RecordStatusPush } from '../call-sessions/commands/record-status-push/record-status-push.command.js';
import type { PushRecorded } from '../call-sessions/commands/push-recorded.js';
import { WrongExpectedVersionError } from '#event-store';
import { isStorageUnavailable } from '../database/storage-errors.js';
import { readPushBody, unstorableTextFields, type PushKind, type PushMedia } from './push-body.reader.js';
import { UNSTORABLE_TEXT_REASON } from '../database/storable-text.js';
import { RejectedPushStore } from './rejected-push.store.js';
import { PushMetrics } from './push.metrics.js';
import { receivedBytes } from '../http/raw-body.parser.js';
import { RepeatedWarning } from '../logging/repeated-warning.js';

export interface PushAnswer {
  statusCode: number;
  body: Record<string, unknown>;
  /** a duplicate whose content differs from the stored push (counted apart, contract §1); not sent */
  conflicting?: boolean;
}

export interface IngestOptions {
  /**
   * false: a refusal is answered, counted and logged, not kept in the rejected-push store, for a
   * push its sender could not be authenticated for (PushAccessPolicy.keepsRefusal).
   */
  keepRejected?: boolean;
}

/** What becomes of a refused push besides its answer: kept, only logged, or neither (a replay: the admin audit keeps it). */
type OnRefusal = 'keep' | 'log' | 'answer';

const refusal = (statusCode: number, error: string, message: string, violations: { field: string; reason: string }[]): PushAnswer => ({
  statusCode,
  body: violations.length > 0 ? { error, message, violations } : { error, message },
});

const unavailable = (message: string): PushAnswer => ({
  statusCode: 503,
  body: { error: 'UNAVAILABLE', message },
});

/**
 * The whole receive path of one push: read, validate, normalise, record; or keep it as
 * rejected. It answers 2xx only once the push's events are committed.
 */
@Injectable()
export class PushIngestionService implements OnApplicationShutdown {
  private readonly logger = new Logger('PushIngestion');
  /** an outage answers every push 503: its first push is logged, the rest counted */
  private readonly storageAway = new RepeatedWarning(
    (line) => this.logger.warn(line),
    (n, windowMs) => `${n} more pushes answered 503 in the last ${windowMs / 1000} s, storage unavailable (the sender retries them)`,
  );

  /** refusals not kept (see `IngestOptions.keepRejected`): a stranger's flood of them must not flood the log */
  private readonly notKept = new RepeatedWarning(
    (line) => this.logger.warn(line),
    (n, windowMs) => `${n} more pushes refused and not kept in the last ${windowMs / 1000} s (not authenticated)`,
  );

  constructor(
    private readonly commands: CommandBus,
    private readonly rejected: RejectedPushStore,
    private readonly metrics: PushMetrics,
  ) {}

  onApplicationShutdown(): void {
    this.storageAway.flush();
    this.notKept.flush();
  }

  async ingest(kind: PushKind, media: PushMedia, raw: Buffer, options: IngestOptions = {}): Promise<PushAnswer> {
    const started = performance.now();
    const answer = await this.answer(kind, media, raw, Date.now(), options.keepRejected === false ? 'log' : 'keep');
    this.metrics.observe(kind, answer, (performance.now() - started) / 1000);
    return answer;
  }

  /**
   * An operator's replay of a rejected push (admin): the same path, but it is not a push the sender
   * sent: not counted among the pushes, and refused again it is not kept again (the row's count
   * says how often the sender sent it; the admin audit keeps the replay and its answer).
   */
  replay(kind: PushKind, raw: Buffer): Promise<PushAnswer> {
    return this.answer(kind, { contentType: 'application/json' }, raw, Date.now(), 'answer');
  }

  private async answer(kind: PushKind, media: PushMedia, raw: Buffer, receivedAt: number, onRefusal: OnRefusal): Promise<PushAnswer> {
    const reject = (statusCode: number, error: string, message: string, violations: { field: string; reason: string }[]) => {
      if (onRefusal === 'keep') return this.reject(kind, media.contentType, raw, statusCode, error, message, violations);
      if (onRefusal === 'log') this.notKept.note(`rejected ${kind} push (${statusCode} ${error}, not kept: its sender is not authenticated): ${message}`, `${statusCode} ${error}`);
      return Promise.resolve(refusal(statusCode, error, message, violations));
    };
    const read = readPushBody(media, raw, receivedBytes(raw));
    if (!read.ok) {
      return reject(read.statusCode, read.error, read.message, []);
    }
    const validated = kind === 'status' ? validateStatusPush(read.body) : validateCdrPush(read.body);
    // Text Postgres cannot store (U+0000, lone surrogates) would fail the commit on every retry:
    // refused as a violation of its field instead, and kept (escaped) in the rejected-push store.
    const violated = new Set(validated.ok ? [] : validated.violations.map((v) => v.field));
    const textViolations = unstorableTextFields(raw, read.body)
      .filter((field) => !violated.has(field))
      .map((field) => ({ field, reason: UNSTORABLE_TEXT_REASON }));
    if (!validated.ok || textViolations.length > 0) {
      const answer = invalidPushAnswer(kind, [...(validated.ok ? [] : validated.violations), ...textViolations]);
      return reject(400, answer.error, answer.message, answer.violations);
    }
    let recorded: PushRecorded;
    try {
      recorded =
        kind === 'status'
          ? await this.commands.execute(new RecordStatusPush(validated.push as never, read.body, receivedAt))
          : await this.commands.execute(new RecordCdrPush(validated.push as never, read.body, receivedAt));
    } catch (error) {
      return this.failed(kind, validated.push.callId, error);
    }
    if (recorded.refused !== null) {
      // valid, but its call takes no more (domain/push-limit.ts): kept as rejected with the reason
      return reject(400, 'INVALID_PUSH', `${kind} push refused: ${recorded.refused}`, [{ field: 'callId', reason: recorded.refused }]);
    }
    if (recorded.conflicting) {
      this.logger.warn(`callId=${recorded.callId} ${kind} push ${recorded.idempotencyKey} repeats a stored key with different content; the first stays`);
    }
    return {
      statusCode: 200,
      body: { accepted: true, duplicate: recorded.duplicate, callId: recorded.callId },
      conflicting: recorded.conflicting,
    };
  }

  private async reject(
    kind: PushKind,
    contentType: string | undefined,
    raw: Buffer,
    statusCode: number,
    error: string,
    message: string,
    violations: { field: string; reason: string }[],
  ): Promise<PushAnswer> {
    try {
      await this.rejected.keep({ kind, statusCode, reason: `${error}: ${message}`, violations, contentType, raw, bytes: receivedBytes(raw) });
    } catch (storeError) {
      // Not kept means the sender must try again later: nothing a sender sends is lost.
      return this.failed(kind, null, storeError);
    }
    this.logger.log(`rejected ${kind} push (${statusCode} ${error}): ${message}`);
    return refusal(statusCode, error, message, violations);
  }

  private failed(kind: PushKind, callId: string | null, error: unknown): PushAnswer {
    const where = callId ? `callId=${callId} ` : '';
    if (isStorageUnavailable(error)) {
      this.storageAway.note(`${where}${kind} push not stored, storage unavailable: ${(error as Error).message}`, (error as Error).message);
      return unavailable('storage is unavailable; retry later');
    }
    if (error instanceof WrongExpectedVersionError) {
      // other instances kept appending to the call first, every try: contention, not a fault
      this.logger.warn(`${where}${kind} push not stored: ${error.message}, on every try; answered 503 (the sender retries)`);
      return unavailable('the call is being written by another instance; retry later');
    }
    this.logger.error(`${where}${kind} push failed: ${(error as Error).stack ?? String(error)}`);
    return unavailable('the push could not be processed; retry later');
  }
}
