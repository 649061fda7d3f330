import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CallSessionWriter, type WriteResult } from '../../write/call-session.writer.js';
import { ForceFinaliseCall } from './force-finalise-call.command.js';

@CommandHandler(ForceFinaliseCall)
export class ForceFinaliseCallHandler implements ICommandHandler<ForceFinaliseCall, WriteResult> {
  constructor(private readonly writer: CallSessionWriter) {}

  execute({ callId, reason, requestedAt }: ForceFinaliseCall): Promise<WriteResult> {
    return this.writer.execute({ type: 'ForceFinalise', callId, reason, metadata: { receivedAt: requestedAt } });
  }
}
