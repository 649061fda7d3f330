import { Controller, Headers, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiPushReceiver } from '../openapi/push-receiver.docs.js';
import type { PushKind } from './push-body.reader.js';
import { PushIngestionService } from './push-ingestion.service.js';

/** The two receivers of contract §1. Bodies arrive as raw bytes (see raw-body.parser.ts). */
@ApiTags('ingestion')
@Controller('v1/push')
export class PushHttpController {
  constructor(private readonly ingestion: PushIngestionService) {}

  @Post('status')
  @HttpCode(200)
  @ApiPushReceiver('status')
  status(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Headers('content-type') type?: string) {
    return this.receive('status', req, reply, type);
  }

  @Post('cdr')
  @HttpCode(200)
  @ApiPushReceiver('cdr')
  cdr(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Headers('content-type') type?: string) {
    return this.receive('cdr', req, reply, type);
  }

  private async receive(kind: PushKind, req: FastifyRequest, reply: FastifyReply, contentType: string | undefined) {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const answer = await this.ingestion.ingest(kind, contentType, raw);
    reply.status(answer.statusCode);
    return answer.body;
  }
}
