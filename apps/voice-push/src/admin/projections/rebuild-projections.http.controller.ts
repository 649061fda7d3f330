import { Controller, Delete, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AdminAuditService } from '../admin-audit.service.js';
import { AdminEndpoints } from '../admin-endpoints.decorator.js';
import { ADMIN_JOB_SCHEMA, ADMIN_JOB_STARTED_SCHEMA, ERROR_BODY_SCHEMA } from '../../openapi/answer-schemas.js';
import { CallsRebuildService, type RebuildJob } from './calls-rebuild.service.js';

/**
 * `POST /admin/projections/rebuild` starts a rebuild of the read models in the background and
 * answers 202 with the job; `GET /admin/projections/rebuild/{id}` shows its progress. The audit
 * row is written at the start and completed with the job's final state when it ends.
 */
@Controller('admin/projections/rebuild')
@AdminEndpoints()
export class RebuildProjectionsHttpController {
  constructor(
    private readonly rebuilds: CallsRebuildService,
    private readonly audit: AdminAuditService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Rebuild the calls read model from the event store (a background job: 202 with its jobId)' })
  @ApiAcceptedResponse({ description: 'the job started (GET …/{jobId} follows it)', schema: ADMIN_JOB_STARTED_SCHEMA })
  @ApiConflictResponse({ description: 'a rebuild is running (its jobId)', schema: ERROR_BODY_SCHEMA })
  @HttpCode(202)
  async start(@Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    const answer = await this.audit.startJob('rebuild-projections', { readModels: ['calls'] }, (onDone) => this.rebuilds.start(onDone));
    reply.status(answer.statusCode);
    return answer.body;
  }

  @Get(':id')
  @ApiOperation({ summary: 'A rebuild job: what it has done so far, and how it ended' })
  @ApiOkResponse({ description: 'the job', schema: ADMIN_JOB_SCHEMA })
  @ApiNotFoundResponse({ description: 'no such job', schema: ERROR_BODY_SCHEMA })
  get(@Param('id') id: string): Promise<RebuildJob> {
    return this.rebuilds.jobs.found(id);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Cancel a running rebuild: it stops after the batch in hand and ends cancelled (what it did stands)' })
  @ApiAcceptedResponse({ description: 'the cancel is asked: the job ends cancelled after the batch in hand', schema: ADMIN_JOB_SCHEMA })
  @ApiNotFoundResponse({ description: 'no such job', schema: ERROR_BODY_SCHEMA })
  @ApiConflictResponse({ description: 'the job has ended', schema: ERROR_BODY_SCHEMA })
  @HttpCode(202)
  async cancel(@Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    const answer = await this.audit.cancelJob('cancel-rebuild-projections', this.rebuilds.jobs, id);
    reply.status(answer.statusCode);
    return answer.body;
  }
}
