import { Command } from '@nestjs/cqrs';
import type { WriteResult } from '../../write/call-session.writer.js';

/** An operator closes a call that will never get its CDR. */
export class ForceFinaliseCall extends Command<WriteResult> {
  constructor(
    readonly callId: string,
    readonly reason: string,
    readonly requestedAt: number,
  ) {
    super();
  }
}
