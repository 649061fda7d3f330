import { Command } from '@nestjs/cqrs';

export interface OverdueSweepResult {
  examined: number;
  flagged: number;
}

/** Flags CDR_OVERDUE on open calls whose last push is older than `overdueAfterMs`. */
export class FlagOverdueCalls extends Command<OverdueSweepResult> {
  constructor(
    readonly now: number,
    readonly overdueAfterMs: number,
    readonly limit = 500,
  ) {
    super();
  }
}
