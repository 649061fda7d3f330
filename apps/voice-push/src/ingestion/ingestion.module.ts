import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { PushHttpController } from './push.http.controller.js';
import { PushIngestionService } from './push-ingestion.service.js';
import { PushMetrics } from './push.metrics.js';
import { RejectedPushStore } from './rejected-push.store.js';

@Module({
  imports: [CqrsModule],
  controllers: [PushHttpController],
  providers: [PushIngestionService, RejectedPushStore, PushMetrics],
  exports: [PushIngestionService, RejectedPushStore, PushMetrics],
})
export class IngestionModule {}
