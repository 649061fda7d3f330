import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { CallSessionsModule } from '../call-sessions/call-sessions.module.js';
import { IngestionModule } from '../ingestion/ingestion.module.js';
import { AdminAuditService } from './admin-audit.service.js';
import { AdminJobsShutdown } from './admin-jobs.shutdown.js';
import { AdminListener } from './admin-listener.js';
import { AdminTokenGuard } from './admin-token.guard.js';
import { ForceFinaliseCallHttpController } from './calls/force-finalise-call.http.controller.js';
import { OutboxRepublisher } from './outbox/outbox-republisher.service.js';
import { RepublishOutboxHttpController } from './outbox/republish-outbox.http.controller.js';
import { CallsRebuildService } from './projections/calls-rebuild.service.js';
import { RebuildProjectionsHttpController } from './projections/rebuild-projections.http.controller.js';
import { RejectedPushesHttpController } from './rejected-pushes/rejected-pushes.http.controller.js';
import { AdminStatsHttpController } from './stats/admin-stats.http.controller.js';
import { PushCounters } from './stats/push-counters.js';

const controllers = [
  AdminStatsHttpController,
  RejectedPushesHttpController,
  RebuildProjectionsHttpController,
  RepublishOutboxHttpController,
  ForceFinaliseCallHttpController,
];

/**
 * The operator's API (contract §4): every route behind AdminTokenGuard; every action that changes
 * something leaves an `admin_audit` row; with ADMIN_PORT set it is served only there.
 */
@Module({
  imports: [CqrsModule, IngestionModule, CallSessionsModule],
  controllers,
  providers: [AdminTokenGuard, AdminListener, AdminAuditService, PushCounters, CallsRebuildService, OutboxRepublisher, AdminJobsShutdown],
})
export class AdminModule {}
