import { Controller, Get, HttpCode, NotFoundException, Param, Post, Res, UseGuards } from '@nestjs/common';
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
    let finished: RebuildJob | null = null;
    let complete: ((job: RebuildJob) => Promise<void>) | null = null;
    const answer = await this.audit.run('rebuild-projections', { readModels: ['calls'] }, async () => {
      const job = this.rebuilds.start(async (done) => {
        finished = done;
        await complete?.(done);
      });
      return { statusCode: 202, body: { jobId: job.id, ...job } };
    });
    if (answer.statusCode === 202) {
      const auditId = answer.auditId;
      complete = (job) => this.audit.complete(auditId, { started: answer.body, finished: job });
      if (finished !== null) await complete(finished);
    }
    reply.status(answer.statusCode);
    return answer.body;
  }

  @Get(':id')
  get(@Param('id') id: string): RebuildJob {
    const job = this.rebuilds.get(id);
    if (!job) throw new NotFoundException({ error: 'NOT_FOUND', message: `no rebuild job ${id}` });
    return job;
  }
}
