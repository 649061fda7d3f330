import { Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { EventPublisher } from '#messaging';

/** How long a readiness probe waits for one dependency before calling it down. */
export const READINESS_CHECK_TIMEOUT_MS = 2_000;

/**
 * Postgres: a `SELECT 1` through the service's own pool, so "ready" means "a push could be
 * committed now". (Terminus' TypeOrmHealthIndicator does the same but loads @nestjs/typeorm
 * through require(), which the ESM test runner cannot do.)
 */
@Injectable()
export class PostgresHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  check(key = 'postgres'): PromiseLike<HealthIndicatorResult> {
    return this.health
      .check(key)
      .attempt(async () => {
        await this.db.query('SELECT 1');
      })
      .withTimeout(READINESS_CHECK_TIMEOUT_MS);
  }
}

/** Kafka, only when KAFKA_BROKERS is set (the EventPublisher provider exists only then). */
@Injectable()
export class KafkaHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Optional() private readonly publisher?: EventPublisher,
  ) {}

  get configured(): boolean {
    return this.publisher !== undefined && this.publisher !== null;
  }

  check(key = 'kafka'): PromiseLike<HealthIndicatorResult> {
    const publisher = this.publisher;
    return this.health
      .check(key)
      .attempt(async () => {
        if (!publisher) return;
        if (!(await publisher.isHealthy())) throw new Error('no broker reachable');
      })
      .withTimeout(READINESS_CHECK_TIMEOUT_MS);
  }
}
