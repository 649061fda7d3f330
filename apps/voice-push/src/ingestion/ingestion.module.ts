import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { PushAccessPolicy } from '../push-auth/push-access.policy.js';
import { PushAuthMetrics } from '../push-auth/push-auth.metrics.js';
import { PushHttpController } from './push.http.controller.js';
import { PushIngestionService } from './push-ingestion.service.js';
import { PushMetrics } from './push.metrics.js';
import { RejectedPushStore } from './rejected-push.store.js';
import { RejectedPushRetention } from './rejected-push.retention.js';

@Module({
  imports: [CqrsModule],
  controllers: [PushHttpController],
  providers: [PushIngestionService, RejectedPushStore, RejectedPushRetention, PushMetrics, PushAccessPolicy, PushAuthMetrics],
  exports: [PushIngestionService, RejectedPushStore, PushMetrics, PushAccessPolicy],
})
export class IngestionModule {}
