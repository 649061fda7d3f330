import type { SqlExecutor } from '#event-store';
import { holdCallEventLog, releaseCallEventLog, renewCallEventLogHold } from '../../outbox-relay/call-event-log.js';

/**
 * How long a republish's hold on the log lasts unless renewed (see holdCallEventLog): a job whose
 * instance died stops holding the live call events within it. Renewed every third of it.
 */
export const LOG_HOLD_LEASE_MS = 30_000;

/** A republish's hold on the call-event log (holdCallEventLog), renewed while the job runs. */
export class LogHold {
  private renewedAt = 0;

  constructor(
    private readonly sql: SqlExecutor,
    private readonly name: string,
    private readonly warn: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  async take(): Promise<void> {
    await holdCallEventLog(this.sql, this.name, LOG_HOLD_LEASE_MS);
    this.renewedAt = this.now();
  }

  /** Renews the lease every third of it; one that lapsed (a batch stalled past it) is taken again, and said. */
  async renewIfDue(): Promise<void> {
    if (this.now() - this.renewedAt < LOG_HOLD_LEASE_MS / 3) return;
    if (await renewCallEventLogHold(this.sql, this.name, LOG_HOLD_LEASE_MS)) {
      this.renewedAt = this.now();
      return;
    }
    this.warn(
      `its hold on the live call events lapsed (${Math.round((this.now() - this.renewedAt) / 1000)} s since it was renewed): ` +
        'a live event of a call not yet republished may have reached Kafka before that call\'s history; held again',
    );
    await this.take();
  }

  release(): Promise<void> {
    return releaseCallEventLog(this.sql, this.name);
  }
}
