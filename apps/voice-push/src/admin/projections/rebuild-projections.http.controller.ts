import { Controller, Get, HttpCode, Param, Post, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AdminAuditService } from '../admin-audit.service.js';
import { AdminTokenGuard } from '../admin-token.guard.js';
import { CallsRebuildService, type RebuildJob } from './calls-rebuild.service.js';

/**
 * `POST /admin/projections/rebuild` starts a rebuild of the read models in the background and
 * answers 202 with the job; `GET /admin/projections/rebuild/{id}` shows its progress. The audit
 * row is written at the start and completed with the job's final state when it ends.
 */
@Controller('admin/projections/rebuild')
@UseGuards(AdminTokenGuard)
export class RebuildProjectionsHttpController {
  constructor(
    private readonly rebuilds: CallsRebuildService,
    private readonly audit: AdminAuditService,
  ) {}

  @Post()
  @HttpCode(202)
  async start(@Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    const answer = await this.audit.startJob('rebuild-projections', { readModels: ['calls'] }, (onDone) => this.rebuilds.start(onDone));
    reply.status(answer.statusCode);
    return answer.body;
  }

  @Get(':id')
  get(@Param('id') id: string): RebuildJob {
    return this.rebuilds.jobs.found(id);
  }
}
