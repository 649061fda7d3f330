import { ConflictException, Controller, HttpCode, NotFoundException, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { CommandBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toCallView } from '#call-session-domain';
import { ForceFinaliseCall } from '../../call-sessions/commands/force-finalise-call/force-finalise-call.command.js';
import { isStorableText, UNSTORABLE_TEXT_REASON } from '../../database/storable-text.js';
import { AdminAuditService } from '../admin-audit.service.js';
import { badRequest, jsonObjectBody } from '../admin-request.js';
import { AdminEndpoints } from '../admin-endpoints.decorator.js';
import { CALL_VIEW_SCHEMA, ERROR_BODY_SCHEMA, jsonBody } from '../../openapi/answer-schemas.js';

const DEFAULT_REASON = 'force-finalised by an operator: no CDR expected';

/**
 * `POST /admin/calls/{callId}/finalize` (optional body `{"reason": "…"}`): the domain's
 * ForceFinalise through the command bus (the call's writer queue, like any push). 200 with the
 * view after; 404 for an unknown call; 409 when the domain refuses (already finalised, or the
 * call has a CDR: reconciliation finalises it).
 */
@Controller('admin/calls')
@AdminEndpoints()
export class ForceFinaliseCallHttpController {
  constructor(
    private readonly commands: CommandBus,
    private readonly audit: AdminAuditService,
  ) {}

  @Post(':callId/finalize')
  @ApiOperation({ summary: 'Finalise an open call without its CDR (FINALIZED_WITHOUT_CDR), with an optional reason' })
  @ApiBody(jsonBody({ reason: { type: 'string', maxLength: 1024, description: 'kept with the audit entry and the event' } }))
  @ApiOkResponse({ description: 'the call view, FINALIZED_WITHOUT_CDR', schema: CALL_VIEW_SCHEMA })
  @ApiBadRequestResponse({ description: 'the body is not a JSON object, or reason is not a string of at most 1024 characters', schema: ERROR_BODY_SCHEMA })
  @ApiNotFoundResponse({ description: 'no such call', schema: ERROR_BODY_SCHEMA })
  @ApiConflictResponse({ description: 'the call is finalised already, or changed meanwhile', schema: ERROR_BODY_SCHEMA })
  @HttpCode(200)
  async finalize(@Param('callId') callId: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    const args: Record<string, unknown> = { callId };
    const answer = await this.audit.run('force-finalise-call', args, async () => {
      const body = jsonObjectBody(req.body, true);
      if (body.reason !== undefined && (typeof body.reason !== 'string' || body.reason.length > 1024)) {
        throw badRequest('reason must be a string of at most 1024 characters');
      }
      if (typeof body.reason === 'string' && !isStorableText(body.reason)) throw badRequest(`reason ${UNSTORABLE_TEXT_REASON}`);
      const reason = typeof body.reason === 'string' && body.reason.trim() !== '' ? body.reason : DEFAULT_REASON;
      args.reason = reason;
      const result = await this.commands.execute(new ForceFinaliseCall(callId, reason, Date.now()));
      if (result.state.version === 0) throw new NotFoundException({ error: 'NOT_FOUND', message: `no call ${callId}` });
      if (result.outcome !== 'applied') {
        throw new ConflictException({ error: 'CONFLICT', message: result.reason ?? `call ${callId} cannot be force-finalised` });
      }
      return { statusCode: 200, body: toCallView(result.state) };
    });
    reply.status(answer.statusCode);
    return answer.body;
  }
}
