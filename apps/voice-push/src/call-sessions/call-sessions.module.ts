import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ReconciliationModule } from '../reconciliation/reconciliation.module.js';
import { CdrOverdueSweep } from './cdr-overdue.sweep.js';
import { CountsFolder } from './projections/counts-folder.js';
import { FlagOverdueCallsHandler } from './commands/flag-overdue-calls/flag-overdue-calls.handler.js';
import { ForceFinaliseCallHandler } from './commands/force-finalise-call/force-finalise-call.handler.js';
import { RecordCdrPushHandler } from './commands/record-cdr-push/record-cdr-push.handler.js';
import { RecordStatusPushHandler } from './commands/record-status-push/record-status-push.handler.js';
import { GetCallHistoryHttpController } from './queries/get-call-history/get-call-history.http.controller.js';
import { GetCallHttpController } from './queries/get-call/get-call.http.controller.js';
import { ListCallsHttpController } from './queries/list-calls/list-calls.http.controller.js';
import { CallSessionWriter } from './write/call-session.writer.js';
import { CommitMetrics } from './write/commit.metrics.js';

const commandHandlers = [RecordStatusPushHandler, RecordCdrPushHandler, ForceFinaliseCallHandler, FlagOverdueCallsHandler];
const queryControllers = [ListCallsHttpController, GetCallHistoryHttpController, GetCallHttpController];

@Module({
  imports: [CqrsModule, ReconciliationModule],
  controllers: queryControllers,
  providers: [CallSessionWriter, CommitMetrics, CdrOverdueSweep, CountsFolder, ...commandHandlers],
  exports: [CallSessionWriter, CdrOverdueSweep, CountsFolder],
})
export class CallSessionsModule {}
