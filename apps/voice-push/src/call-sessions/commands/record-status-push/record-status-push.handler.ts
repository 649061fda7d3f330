import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { statusPushKey } from '#call-session-domain';
import { CallSessionWriter } from '../../write/call-session.writer.js';
import { pushRecorded, type PushRecorded } from '../push-recorded.js';
import { RecordStatusPush } from './record-status-push.command.js';

@CommandHandler(RecordStatusPush)
export class RecordStatusPushHandler implements ICommandHandler<RecordStatusPush, PushRecorded> {
  constructor(private readonly writer: CallSessionWriter) {}

  async execute({ push, rawPush, receivedAt }: RecordStatusPush): Promise<PushRecorded> {
    const idempotencyKey = statusPushKey(push);
    const result = await this.writer.execute(
      { type: 'RecordStatus', push, metadata: { receivedAt, idempotencyKey } },
      { rawPush },
    );
    return pushRecorded(result, idempotencyKey);
  }
}
