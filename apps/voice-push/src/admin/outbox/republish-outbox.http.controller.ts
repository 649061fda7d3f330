import { Controller, Delete, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiBody, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminAuditService } from '../admin-audit.service.js';
import { badRequest, jsonObjectBody } from '../admin-request.js';
import { AdminEndpoints } from '../admin-endpoints.decorator.js';
import { ADMIN_JOB_SCHEMA, ADMIN_JOB_STARTED_SCHEMA, ERROR_BODY_SCHEMA, jsonBody } from '../../openapi/answer-schemas.js';
import { OutboxRepublisher, type RepublishJob } from './outbox-republisher.service.js';

/**
 * `POST /admin/outbox/republish {"fromPosition":N}` starts the republish in the background and
 * answers 202 with the job; `GET /admin/outbox/republish/{id}` shows what it has enqueued so far.
 * Audited as the rebuild: at the start, completed with the job's final state.
 */
@Controller('admin/outbox/republish')
@AdminEndpoints()
export class RepublishOutboxHttpController {
  constructor(
    private readonly republisher: OutboxRepublisher,
    private readonly audit: AdminAuditService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Publish to Kafka again every event after fromPosition, and the finalised views (a background job: 202 with its jobId)' })
  @ApiBody(jsonBody({ fromPosition: { oneOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^\\d{1,18}$' }], description: 'an event position: every event after it' } }, ['fromPosition']))
  @ApiAcceptedResponse({ description: 'the job started (GET …/{jobId} follows it)', schema: ADMIN_JOB_STARTED_SCHEMA })
  @ApiBadRequestResponse({ description: 'no JSON object body, or fromPosition not a whole number ≥ 0', schema: ERROR_BODY_SCHEMA })
  @ApiConflictResponse({ description: 'a republish is running, here or on another instance (its jobId)', schema: ERROR_BODY_SCHEMA })
  @HttpCode(202)
  async republish(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    const args: Record<string, unknown> = {};
    const answer = await this.audit.startJob('republish-outbox', args, async (onDone) => {
      const body = jsonObjectBody(req.body, false);
      args.fromPosition = body.fromPosition;
      const from = body.fromPosition;
      const valid =
        (typeof from === 'number' && Number.isSafeInteger(from) && from >= 0) ||
        (typeof from === 'string' && /^\d{1,18}$/.test(from));
      if (!valid) throw badRequest('fromPosition must be a whole number ≥ 0 (an event position)');
      return this.republisher.start(String(BigInt(from as string | number)), onDone);
    });
    reply.status(answer.statusCode);
    return answer.body;
  }

  @Get(':id')
  @ApiOperation({ summary: 'A republish job: what it has enqueued so far, and how it ended' })
  @ApiOkResponse({ description: 'the job', schema: ADMIN_JOB_SCHEMA })
  @ApiNotFoundResponse({ description: 'no such job', schema: ERROR_BODY_SCHEMA })
  get(@Param('id') id: string): Promise<RepublishJob> {
    return this.republisher.jobs.found(id);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Cancel a running republish: it stops after the batch in hand and ends cancelled (what it did stands)' })
  @ApiAcceptedResponse({ description: 'the cancel is asked: the job ends cancelled after the batch in hand', schema: ADMIN_JOB_SCHEMA })
  @ApiNotFoundResponse({ description: 'no such job', schema: ERROR_BODY_SCHEMA })
  @ApiConflictResponse({ description: 'the job has ended', schema: ERROR_BODY_SCHEMA })
  @HttpCode(202)
  async cancel(@Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    const answer = await this.audit.cancelJob('cancel-republish-outbox', this.republisher.jobs, id);
    reply.status(answer.statusCode);
    return answer.body;
  }
}
