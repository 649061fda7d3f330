import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CallSessionsModule } from '../call-sessions/call-sessions.module.js';
import { HealthHttpController } from './health.http.controller.js';
import { KafkaHealthIndicator, PostgresHealthIndicator } from './health.indicators.js';
import { ShutdownSequence } from './shutdown-sequence.js';

/** Health probes, and the ordering of the graceful shutdown (see shutdown-sequence.ts). */
@Module({
  // Failing checks are answered with 503 and their reason; the probe runs every few seconds, so
  // terminus' own error log would repeat each outage endlessly.
  imports: [TerminusModule.forRoot({ logger: false }), CallSessionsModule],
  controllers: [HealthHttpController],
  providers: [PostgresHealthIndicator, KafkaHealthIndicator, ShutdownSequence],
})
export class HealthModule {}
