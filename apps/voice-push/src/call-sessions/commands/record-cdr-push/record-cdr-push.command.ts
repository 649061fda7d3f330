import { Command } from '@nestjs/cqrs';
import type { CdrPush } from '#call-session-domain';
import type { PushRecorded } from '../push-recorded.js';

export class RecordCdrPush extends Command<PushRecorded> {
  constructor(
    readonly push: CdrPush,
    /** the body as it came over the wire, kept with the event */
    readonly rawPush: Record<string, unknown>,
    readonly receivedAt: number,
  ) {
    super();
  }
}
