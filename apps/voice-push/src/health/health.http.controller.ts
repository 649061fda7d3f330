import { Controller, Get, HttpCode, Optional, ServiceUnavailableException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { EventPublisher } from '#messaging';

@Controller('health')
export class HealthHttpController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    /** present only when KAFKA_BROKERS is set */
    @Optional() private readonly publisher?: EventPublisher,
  ) {}

  @Get('live')
  @HttpCode(200)
  live(): { status: string } {
    return { status: 'ok' };
  }

  /** Ready when Postgres answers, and Kafka too when one is configured. */
  @Get('ready')
  async ready(): Promise<{ status: string; checks: Record<string, string> }> {
    const checks: Record<string, string> = {};
    checks.postgres = await this.db.query('SELECT 1').then(
      () => 'up',
      (error: Error) => `down: ${error.message}`,
    );
    if (this.publisher) {
      checks.kafka = (await this.publisher.isHealthy().catch(() => false)) ? 'up' : 'down';
    }
    const ready = Object.values(checks).every((c) => c === 'up');
    if (!ready) throw new ServiceUnavailableException({ error: 'UNAVAILABLE', status: 'unavailable', checks });
    return { status: 'ok', checks };
  }
}
