import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { pushContentType, pushKindOf, PushReceiverRoute } from '../http/push-request.hook.js';
import { ApiPushReceiver } from '../openapi/push-receiver.docs.js';
import { PushAccessPolicy } from '../push-auth/push-access.policy.js';
import type { PushKind } from './push-body.reader.js';
import { PushIngestionService } from './push-ingestion.service.js';

/**
 * The two receivers of contract §1. Bodies arrive as raw bytes (see raw-body.parser.ts).
 * With PUSH_PATH_TOKEN set they are also served at `/v1/push/{token}/status|cdr`, and in enforce
 * mode only there (the plain paths then answer 404); see push-access.policy.ts.
 */
@ApiTags('ingestion')
@Controller('v1/push')
export class PushHttpController {
  constructor(
    private readonly ingestion: PushIngestionService,
    private readonly access: PushAccessPolicy,
  ) {}

  @Post('status')
  @PushReceiverRoute('status')
  @HttpCode(200)
  @ApiPushReceiver('status')
  status(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.receive(req, reply);
  }

  @Post('cdr')
  @PushReceiverRoute('cdr')
  @HttpCode(200)
  @ApiPushReceiver('cdr')
  cdr(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.receive(req, reply);
  }

  @Post(':pathToken/status')
  @PushReceiverRoute('status')
  @HttpCode(200)
  @ApiExcludeEndpoint()
  statusAtSecretPath(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.receive(req, reply);
  }

  @Post(':pathToken/cdr')
  @PushReceiverRoute('cdr')
  @HttpCode(200)
  @ApiExcludeEndpoint()
  cdrAtSecretPath(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.receive(req, reply);
  }

  /**
   * The kind is the route's mark (@PushReceiverRoute), the one the hooks and the body parser read;
   * the `{pathToken}` of the secret paths was the request hook's to check (see push-request.hook.ts).
   */
  private async receive(req: FastifyRequest, reply: FastifyReply) {
    const kind = pushKindOf(req) as PushKind;
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    // Refused before ingestion, so not kept in the rejected-push store (see push-access.policy.ts).
    const refusal = this.access.verify({ kind, ip: req.ip, query: req.query, raw });
    if (refusal !== null) {
      reply.status(refusal.statusCode);
      return refusal.body;
    }
    const media = { contentType: pushContentType(req), contentEncoding: req.headers['content-encoding'] };
    const answer = await this.ingestion.ingest(kind, media, raw, { keepRejected: this.access.keepsRefusal(raw) });
    reply.status(answer.statusCode);
    return answer.body;
  }
}
