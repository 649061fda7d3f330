import { Controller, Get, HttpCode, HttpException, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult, type HealthIndicatorFunction } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { KafkaHealthIndicator, PostgresHealthIndicator } from './health.indicators.js';

/** Liveness and readiness (contract §6), in terminus' standard shape `{status, info, error, details}`. */
@ApiTags('operations')
@Controller('health')
export class HealthHttpController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly postgres: PostgresHealthIndicator,
    private readonly kafka: KafkaHealthIndicator,
  ) {}

  /** The process answers: nothing else is checked (a dependency outage must not get us restarted). */
  @Get('live')
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process answers HTTP' })
  @ApiResponse({ status: 200, example: { status: 'ok', info: {}, error: {}, details: {} } })
  @HealthCheck({ swaggerDocumentation: false })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /** Ready when Postgres answers, and Kafka too when one is configured; else 503. */
  @Get('ready')
  @HttpCode(200)
  @ApiOperation({ summary: 'Readiness: Postgres answers (and Kafka, when KAFKA_BROKERS is set)' })
  @ApiResponse({
    status: 200,
    example: { status: 'ok', info: { postgres: { status: 'up' } }, error: {}, details: { postgres: { status: 'up' } } },
  })
  @ApiResponse({
    status: 503,
    example: {
      status: 'error',
      info: {},
      error: { postgres: { status: 'down', message: 'timeout exceeded when trying to connect' } },
      details: { postgres: { status: 'down', message: 'timeout exceeded when trying to connect' } },
    },
  })
  @HealthCheck({ swaggerDocumentation: false })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    const checks: HealthIndicatorFunction[] = [() => this.postgres.check('postgres')];
    if (this.kafka.configured) checks.push(() => this.kafka.check('kafka'));
    try {
      return await this.health.check(checks);
    } catch (error) {
      // Terminus throws a 503 carrying its result; answered here as it is, because the app's
      // exception filter would turn it into the `{error, message}` shape of the push receivers.
      if (!(error instanceof HttpException) || error.getStatus() !== 503) throw error;
      const result = error.getResponse();
      if (typeof result !== 'object' || result === null) throw error;
      reply.status(503);
      return result as HealthCheckResult;
    }
  }
}
