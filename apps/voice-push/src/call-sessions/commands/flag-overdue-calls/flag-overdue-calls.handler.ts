import { Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CallSessionWriter } from '../../write/call-session.writer.js';
import { FlagOverdueCalls, type OverdueSweepResult } from './flag-overdue-calls.command.js';
import { overdueCandidates } from './overdue-candidates.query.js';

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
    for (const callId of candidates) {
      const result = await this.writer.execute({
        type: 'FlagCdrOverdue',
        callId,
        overdueAfterMs,
        metadata: { receivedAt: now },
      });
      if (result.events.length > 0) {
        flagged += 1;
        this.logger.warn(`callId=${callId} no CDR ${Math.round(overdueAfterMs / 1000)} s after its last push: CDR_OVERDUE`);
      }
    }
    return { examined: candidates.length, flagged };
  }
}
