import { Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CallSessionWriter } from '../../write/call-session.writer.js';
import { FlagOverdueCalls, type OverdueSweepResult } from './flag-overdue-calls.command.js';

/**
 * Finds candidates through the partial index on open, unflagged calls (never a scan of every
 * call) and lets the domain decide each one, so the rule stays in one place.
 */
@CommandHandler(FlagOverdueCalls)
export class FlagOverdueCallsHandler implements ICommandHandler<FlagOverdueCalls, OverdueSweepResult> {
  private readonly logger = new Logger('FlagOverdueCalls');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly writer: CallSessionWriter,
  ) {}

  async execute({ now, overdueAfterMs, limit }: FlagOverdueCalls): Promise<OverdueSweepResult> {
    const candidates: { call_id: string }[] = await this.db.query(
      `SELECT call_id FROM calls
        WHERE status = 'OPEN' AND NOT cdr_overdue AND last_push_at <= $1
        ORDER BY last_push_at LIMIT $2`,
      [new Date(now - overdueAfterMs).toISOString(), limit],
    );
    let flagged = 0;
    for (const { call_id: callId } of candidates) {
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
