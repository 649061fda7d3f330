import { Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CallSessionWriter } from '../../write/call-session.writer.js';
import { FlagOverdueCalls, type OverdueSweepResult } from './flag-overdue-calls.command.js';
import { overdueCandidates } from './overdue-candidates.query.js';

/**
 * Calls flagged at once. One at a time, each flag was a stream read and a commit of its own: a
 * probe under load saw ~100 calls a second (a backlog of 1,470 after a restart took 14 s, and calls
 * that went overdue meanwhile waited behind it, past the contract's "twice CDR_OVERDUE_AFTER"); an
 * idle service here flagged 3,000 after a restart in 6.0–6.4 s. Together, the writer reads their
 * streams in one query and commits them in one group commit: the same 3,000 in 1.6–1.7 s. A bounded
 * number keeps a backlog from crowding the live pushes out of the commits.
 */
export const FLAGS_AT_ONCE = 32;

/** Finds candidates in the read model and lets the domain decide each one, so the rule stays in one place. */
@CommandHandler(FlagOverdueCalls)
export class FlagOverdueCallsHandler implements ICommandHandler<FlagOverdueCalls, OverdueSweepResult> {
  private readonly logger = new Logger('FlagOverdueCalls');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly writer: CallSessionWriter,
  ) {}

  async execute({ now, overdueAfterMs, limit }: FlagOverdueCalls): Promise<OverdueSweepResult> {
    const candidates = await overdueCandidates(this.db, new Date(now - overdueAfterMs), limit);
    let flagged = 0;
    for (let i = 0; i < candidates.length; i += FLAGS_AT_ONCE) {
      const results = await Promise.allSettled(candidates.slice(i, i + FLAGS_AT_ONCE).map((callId) => this.flag(callId, now, overdueAfterMs)));
      flagged += results.filter((r) => r.status === 'fulfilled' && r.value).length;
      // the sweep stops at a failure (Postgres away, mostly) and tries again at its next run, as it
      // did one call at a time; the calls flagged beside it stay flagged
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
    return { examined: candidates.length, flagged };
  }

  /** true when the call was flagged (the domain may find it has moved on meanwhile) */
  private async flag(callId: string, now: number, overdueAfterMs: number): Promise<boolean> {
    const result = await this.writer.execute({ type: 'FlagCdrOverdue', callId, overdueAfterMs, metadata: { receivedAt: now } });
    if (result.events.length === 0) return false;
    this.logger.warn(`callId=${callId} no CDR ${Math.round(overdueAfterMs / 1000)} s after its last push: CDR_OVERDUE`);
    return true;
  }
}
