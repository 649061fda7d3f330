import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { cdrPushKey } from '#call-session-domain';
import { CallSessionWriter } from '../../write/call-session.writer.js';
import { pushRecorded, type PushRecorded } from '../push-recorded.js';
import { RecordCdrPush } from './record-cdr-push.command.js';

@CommandHandler(RecordCdrPush)
export class RecordCdrPushHandler implements ICommandHandler<RecordCdrPush, PushRecorded> {
  constructor(private readonly writer: CallSessionWriter) {}

  async execute({ push, rawPush, receivedAt }: RecordCdrPush): Promise<PushRecorded> {
    const idempotencyKey = cdrPushKey(push);
    const result = await this.writer.execute(
      { type: 'RecordCdr', push, metadata: { receivedAt, idempotencyKey } },
      { rawPush },
    );
    return pushRecorded(result, idempotencyKey);
  }
}
